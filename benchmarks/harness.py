"""Time one subject at one batch size: creation, first run, steady state, memory.

Each configuration starts from a collected heap and a reset peak-RSS mark, loads its
model (timed as creation), times the first call alone, then warms up and measures.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Callable

from artifactsdk.benchmarks.memory import PeakMemory, peak_memory, reset_peak
from artifactsdk.progress import Progress
from artifactsdk.benchmarks.subjects import Subject
from artifactsdk.benchmarks.timing import LatencyStats, RunPolicy, elapsed_ns, measure


@dataclass(frozen=True)
class ConfigResult:
    """The measurements of one (model, backend, precision, batch) configuration."""

    model: str
    backend: str
    precision: str
    batch: int
    input_shape: list[int]
    file: str | None
    file_bytes: int | None
    creation_ms: float
    first_run_ms: float
    latency: LatencyStats
    throughput_ips: float
    memory: PeakMemory
    # filled in by the caller when known: MACs per call and their rate vs the machine peak
    gmacs: float | None = None
    fraction_of_peak: float | None = None
    accuracy: dict | None = None
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.model, self.backend, self.precision, self.batch)

    def to_dict(self) -> dict:
        return {"model": self.model, "backend": self.backend, "precision": self.precision,
                "batch": self.batch, "input_shape": self.input_shape, "file": self.file,
                "file_bytes": self.file_bytes, "creation_ms": self.creation_ms,
                "first_run_ms": self.first_run_ms, "latency": self.latency.to_dict(),
                "throughput_ips": self.throughput_ips, "peak_rss_mb": self.memory.peak_rss_mb,
                "peak_rss_scope": self.memory.scope, "gmacs": self.gmacs,
                "fraction_of_peak": self.fraction_of_peak, "accuracy": self.accuracy, **self.extra}


@dataclass(frozen=True)
class Skipped:
    """A configuration that was asked for but cannot run here, and why."""

    model: str
    backend: str
    precision: str
    batch: int | None
    reason: str

    def to_dict(self) -> dict:
        return {"model": self.model, "backend": self.backend, "precision": self.precision,
                "batch": self.batch, "reason": self.reason}


def providers_of(runner) -> list[str]:
    """The execution providers an ONNX Runtime runner's session really uses ([] for torch)."""
    session = getattr(runner, "session", None)
    return list(session.get_providers()) if session is not None else []


def bench_subject(subject: Subject, batch: int, policy: RunPolicy, progress: Progress | None = None,
                  evaluate: Callable[[object], dict] | None = None) -> ConfigResult:
    """Load `subject`, time its first call and its steady state at `batch` images per call;
    then, untimed and after the memory peak is read, `evaluate(runner)` its accuracy."""
    gc.collect()
    was_reset = reset_peak()
    runner, creation_ns = elapsed_ns(subject.open)
    try:
        feed = subject.feed(batch)
        _, first_ns = elapsed_ns(lambda: runner.run(feed))
        label = f"{subject.model} {subject.backend} {subject.precision} b{batch}"
        tick = progress.stage(label, policy.runs).update if progress is not None else None
        stats = measure(lambda: runner.run(feed), policy, tick)
        memory = peak_memory(was_reset)
        providers = providers_of(runner)
        accuracy = evaluate(runner) if evaluate is not None else None
    finally:
        runner.close()
    return ConfigResult(
        model=subject.model, backend=subject.backend, precision=subject.precision, batch=batch,
        input_shape=[batch, *subject.image_shape], file=str(subject.file) if subject.file else None,
        file_bytes=subject.file_bytes, creation_ms=creation_ns / 1e6, first_run_ms=first_ns / 1e6,
        latency=stats, throughput_ips=stats.throughput(batch), memory=memory, accuracy=accuracy,
        extra={"providers": providers})
