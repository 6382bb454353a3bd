"""One bench run: plan the configurations, measure the machine's peak, time every
configuration (with its accuracy), the detector end to end, and gather the report."""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from artifactsdk.benchmarks.environment import bench_environment, load_average
from artifactsdk.benchmarks.harness import ConfigResult, Skipped, bench_subject
from artifactsdk.benchmarks.macs import MacCount, count_macs
from artifactsdk.benchmarks.plan import backend_name
from artifactsdk.benchmarks.report import (BenchReport, Gate, accuracy_drops, max_drop_gate, min_speedup_gate,
                                           speedups)
from artifactsdk.benchmarks.subjects import Subject, onnx_file_subject, torchscript_subject
from artifactsdk.benchmarks.timing import RunPolicy
from artifactsdk.bundle import ROLES
from artifactsdk.detector_settings import DetectorSettings
from artifactsdk.errors import ArtifactSDKError, InvalidInputError
from artifactsdk.progress import Progress

DETECTOR = "detector"
# fp16 and plain fp32 MatMul run on the fp32 GEMM kernels; int8 on the integer ones.
PEAK_FOR_PRECISION = {"fp32": "fp32", "fp16": "fp32", "int8": "int8"}


@dataclass(frozen=True)
class BenchSettings:
    """What `artifactsdk bench` measures; its settings fill these fields (benchmarks/bench_cli.py)."""

    # the bundle and threads of every subject; the "detector" subject runs it at each backend and precision
    detector: DetectorSettings = field(default_factory=lambda: DetectorSettings(threads=2))
    models: tuple[str, ...] = (*ROLES, DETECTOR)
    backends: tuple[str, ...] = ("torch", "ort-cpu")
    precisions: tuple[str, ...] = ("fp32", "int8", "fp16")
    batches: tuple[int, ...] = (1,)
    size: int | None = None
    policy: RunPolicy = field(default_factory=RunPolicy)
    accuracy: bool = True
    accuracy_count: int = 32
    onnx: Path | None = None
    torchscript: Path | None = None
    input_shape: tuple[int, ...] | None = None
    peak: bool = True
    peers: bool = False
    peer_runs: int = 3
    min_speedup: float | None = None
    max_drop: float | None = None

    def __post_init__(self):
        # Aliases ("ort", "trt") become the registry's names, each backend once.
        object.__setattr__(self, "backends", tuple(dict.fromkeys(backend_name(b) for b in self.backends)))

    def to_dict(self) -> dict:
        """The settings as JSON values (paths as text, tuples as lists)."""
        return json.loads(json.dumps(asdict(self), default=str))


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


def _file_subjects(settings: BenchSettings) -> list[Subject]:
    if settings.input_shape is None:
        raise InvalidInputError("--onnx and --torchscript need --input-shape NxCxHxW, e.g. 1x3x512x512.")
    subjects = []
    if settings.onnx is not None:
        subjects.append(onnx_file_subject(settings.onnx, settings.input_shape, settings.detector.threads))
    if settings.torchscript is not None:
        subjects.append(torchscript_subject(settings.torchscript, settings.input_shape, settings.detector.threads,
                                            onnx_file=settings.onnx))
    return subjects


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


def _bundle_run(settings: BenchSettings, peaks: dict, progress: Progress):
    from artifactsdk.benchmarks.accuracy import HELD_OUT_IMAGE_SIZE, evaluate_runner, held_out_samples
    from artifactsdk.benchmarks.plan import plan_bundle
    from artifactsdk.bundle import Bundle

    bundle = Bundle.open(settings.detector.bundle, settings.detector.trusted_keys)
    roles = [m for m in settings.models if m in ROLES and m in bundle.roles]
    skipped = [Skipped(m, "-", "-", None, f"the bundle has no {m}") for m in settings.models
               if m in ROLES and m not in bundle.roles]
    plan = plan_bundle(bundle, roles, list(settings.backends), list(settings.precisions), settings.size,
                       settings.detector.threads)
    samples: list = []  # generated on first use, shared by every configuration

    def evaluate_for(subject: Subject):
        if not settings.accuracy:
            return None
        model = bundle.model(subject.model)

        def evaluate(runner) -> dict:
            if not samples:
                progress.note(f"generating {settings.accuracy_count} held-out images of "
                              f"{HELD_OUT_IMAGE_SIZE}x{HELD_OUT_IMAGE_SIZE}")
                samples.extend(held_out_samples(settings.accuracy_count))
            return evaluate_runner(subject.model, runner, model, subject.image_shape, samples)
        return evaluate

    results, failed = time_subjects(plan.subjects, settings.batches, settings.policy, peaks, progress, evaluate_for)
    detector = _detector_run(bundle, settings, progress) if DETECTOR in settings.models else ([], [])
    return results, [*skipped, *plan.skipped, *failed, *detector[1]], detector[0]


def _detector_run(bundle, settings: BenchSettings, progress: Progress) -> tuple[list, list]:
    """The detector end to end for each requested backend and precision that can run."""
    from artifactsdk.benchmarks.detector_e2e import bench_detector, write_test_image
    from artifactsdk.benchmarks.plan import TORCH_PRECISION
    from artifactsdk.detector import Detector

    results, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="artifactsdk-bench-") as tmp:
        image = write_test_image(Path(tmp) / "detector_input.png")
        for backend in settings.backends:
            for precision in settings.precisions:
                if backend == "torch" and precision != TORCH_PRECISION:
                    continue  # listed once among the model skips
                try:
                    detector = Detector.load(settings.detector, bundle=bundle, backend=backend,
                                             precision="auto" if backend == "torch" else precision)
                except ArtifactSDKError as exc:  # cannot run here (e.g. fp16 on a CPU): the runtime says why
                    skipped.append(Skipped(DETECTOR, backend, precision, 1, str(exc)))
                    continue
                try:
                    with detector:
                        result = bench_detector(detector, image, settings.policy, backend, precision)
                except Exception as exc:  # reported like a failing model configuration
                    skipped.append(Skipped(DETECTOR, backend, precision, 1,
                                           f"failed to run: {type(exc).__name__}: {exc}"))
                    continue
                results.append(result)
                progress.note(f"detector {backend} {precision}: total p50 {result.stages['total'].p50_ms:.1f} ms")
    return results, skipped


def _backend_availability() -> dict:
    from artifactsdk.runtimes.registry import BACKENDS

    status = {}
    for entry in BACKENDS:
        reason = entry.probe()
        status[entry.name] = {"available": reason is None, "reason": reason}
    return status


def providers_used(results: list[ConfigResult]) -> list[str]:
    providers = {p for r in results for p in r.extra.get("providers", [])}
    return sorted(providers)


def _gates(settings: BenchSettings, results: list[ConfigResult]) -> list[Gate]:
    gates = []
    if settings.min_speedup is not None:
        gates.append(min_speedup_gate(speedups(results), settings.min_speedup))
    if settings.max_drop is not None:
        gates.append(max_drop_gate(accuracy_drops(results), settings.max_drop))
    return gates


def run_bench(settings: BenchSettings, command: str, progress: Progress | None = None) -> BenchReport:
    """Everything `artifactsdk bench` measures, as one report."""
    from artifactsdk.benchmarks.peak import machine_peak

    progress = progress or Progress(enabled=False)
    started, load_at_start = time.perf_counter(), load_average()
    peaks = machine_peak(settings.detector.threads) if settings.peak else {}
    if peaks:
        progress.note("machine peak: " + ", ".join(f"{p} {v.gmacs_per_s:.0f} GMAC/s" for p, v in peaks.items()))
    if settings.onnx is not None or settings.torchscript is not None:
        results, skipped = time_subjects(_file_subjects(settings), [settings.input_shape[0]], settings.policy,
                                         peaks, progress)
        detector = []
    else:
        results, skipped, detector = _bundle_run(settings, peaks, progress)
    peers = None
    if settings.peers:
        from artifactsdk.benchmarks.peers import PEER_WARMUP, peers_in_tempdir

        size = settings.size or 512
        peers = peers_in_tempdir(settings.detector.bundle, size, settings.detector.threads,
                                 RunPolicy(warmup=PEER_WARMUP, runs=settings.peer_runs, duration_s=None), peaks,
                                 progress).to_dict()
    return BenchReport(
        command=command, settings=settings.to_dict(),
        environment=bench_environment(settings.detector.threads, providers_used(results), load_at_start),
        machine_peak={p: v.to_dict() for p, v in peaks.items()}, backends=_backend_availability(),
        results=results, skipped=skipped, detector=detector, peers=peers, gates=_gates(settings, results),
        wall_s=time.perf_counter() - started)
