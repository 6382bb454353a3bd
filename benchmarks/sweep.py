"""Time a list of subjects at each batch size, each result with its MACs per call and the
fraction of the machine's peak it reaches: the loop `artifactsdk bench`, the peers and the
BYO targets share."""

from __future__ import annotations

from dataclasses import replace

from artifactsdk.benchmarks.harness import ConfigResult, Skipped, bench_subject
from artifactsdk.benchmarks.macs import MacCount, count_macs
from artifactsdk.benchmarks.subjects import Subject
from artifactsdk.benchmarks.timing import RunPolicy
from artifactsdk.progress import Progress

# fp16 and plain fp32 MatMul run on the fp32 GEMM kernels; int8 on the integer ones.
PEAK_FOR_PRECISION = {"fp32": "fp32", "fp16": "fp32", "int8": "int8"}


class _MacCache:
    """MAC counts per (ONNX file, input shape); a graph that cannot be counted gives None."""

    def __init__(self):
        self.counts: dict[tuple, MacCount | None] = {}

    def get(self, subject: Subject, batch: int) -> MacCount | None:
        if subject.onnx_file is None:
            if subject.macs_per_image is None:
                return None
            total = subject.macs_per_image * batch
            return MacCount(total=total, by_op={"counted_in_torch": total},
                            input_shapes={subject.input_name: [batch, *subject.image_shape]})
        key = (subject.onnx_file, batch, subject.image_shape)
        if key not in self.counts:
            try:
                self.counts[key] = count_macs(subject.onnx_file, {subject.input_name: [batch, *subject.image_shape]})
            except Exception:  # noqa: BLE001 - onnx's shape inference raises its own types; no count, no column
                self.counts[key] = None
        return self.counts[key]


def with_machine_numbers(result: ConfigResult, macs: MacCount | None, peaks: dict) -> ConfigResult:
    """`result` with its MACs per call and the fraction of the machine's peak it reaches."""
    if macs is None:
        return result
    peak = peaks.get(PEAK_FOR_PRECISION.get(result.precision, "fp32"))
    rate = macs.total / (result.latency.p50_ms / 1e3)
    fraction = rate / (peak.gmacs_per_s * 1e9) if peak is not None else None
    return replace(result, gmacs=macs.gmacs, fraction_of_peak=fraction,
                   extra={**result.extra, "macs_by_op": macs.by_op, "macs_uncounted_nodes": len(macs.uncounted)})


def time_subjects(subjects: list[Subject], batches, policy: RunPolicy, peaks: dict, progress: Progress,
                  evaluate_for=lambda subject: None) -> tuple[list[ConfigResult], list[Skipped]]:
    """Time every subject at every batch size; `evaluate_for(subject)` gives the accuracy
    callback run at the first batch (or None). Failures become Skipped with the error."""
    results, skipped, macs = [], [], _MacCache()
    for subject in subjects:
        for index, batch in enumerate(batches):
            if subject.fixed_batch is not None and batch != subject.fixed_batch:
                skipped.append(Skipped(subject.model, subject.backend, subject.precision, batch,
                                       f"the model's input has a fixed batch of {subject.fixed_batch}"))
                continue
            evaluate = evaluate_for(subject) if index == 0 else None
            try:
                result = bench_subject(subject, batch, policy, progress, evaluate)
            except Exception as exc:  # a configuration that fails is reported, the others still run
                skipped.append(Skipped(subject.model, subject.backend, subject.precision, batch,
                                       f"failed to run: {type(exc).__name__}: {exc}"))
                progress.note(f"{subject.model} {subject.backend} {subject.precision} b{batch}: failed ({exc})")
                continue
            result = with_machine_numbers(result, macs.get(subject, batch), peaks)
            results.append(result)
            progress.note(f"{result.model} {result.backend} {result.precision} b{batch}: "
                          f"p50 {result.latency.p50_ms:.2f} ms")
    return results, skipped


def providers_used(results: list[ConfigResult]) -> list[str]:
    providers = {p for r in results for p in r.extra.get("providers", [])}
    return sorted(providers)
