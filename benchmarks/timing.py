"""The timing harness: warm-up excluded, a fixed run count or a time budget, and
latency statistics in the style of trtexec / onnxruntime_perf_test.

Every number is measured with `time.perf_counter_ns`. Creation (session or engine
build) and the first call are timed apart from the steady state, because the first
call pays for lazy allocations and kernel selection that later calls do not.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable, TypeVar

import numpy as np

from artifactsdk.errors import InvalidInputError

T = TypeVar("T")

PERCENTILES = (50, 90, 95, 99)


DEFAULT_DURATION_S = 2.0


@dataclass(frozen=True)
class RunPolicy:
    """How many calls to time after `warmup` untimed ones: `runs` calls, or as many
    as fit in `duration_s` seconds (at least `min_runs`; DEFAULT_DURATION_S when
    neither is given)."""

    warmup: int = 3
    runs: int | None = None
    duration_s: float | None = None
    min_runs: int = 5

    def __post_init__(self):
        if self.runs is not None and self.duration_s is not None:
            raise InvalidInputError(
                f"a run policy takes runs or duration_s, not both; found runs={self.runs}, "
                f"duration_s={self.duration_s}. Pass --runs N or --duration S, not both.")
        if self.runs is None and self.duration_s is None:
            object.__setattr__(self, "duration_s", DEFAULT_DURATION_S)
        if self.warmup < 0 or (self.runs is not None and self.runs < 1) or \
                (self.duration_s is not None and self.duration_s <= 0):
            raise InvalidInputError(
                f"warm-up must be >= 0, runs >= 1 and duration > 0; found warmup={self.warmup}, "
                f"runs={self.runs}, duration_s={self.duration_s}.")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LatencyStats:
    """Steady-state latency of one call, in milliseconds, over `runs` timed calls."""

    runs: int
    mean_ms: float
    std_ms: float
    min_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    total_s: float

    @classmethod
    def from_ns(cls, samples_ns: list[int]) -> "LatencyStats":
        if not samples_ns:
            raise InvalidInputError("latency statistics need at least one timed call; found none.")
        ms = np.asarray(samples_ns, dtype=np.float64) / 1e6
        # Linear interpolation between order statistics (numpy's default), as
        # onnxruntime_perf_test does; with few runs p99 is close to max.
        p50, p90, p95, p99 = np.percentile(ms, PERCENTILES)
        return cls(runs=len(ms), mean_ms=float(ms.mean()), std_ms=float(ms.std()),
                   min_ms=float(ms.min()), p50_ms=float(p50), p90_ms=float(p90),
                   p95_ms=float(p95), p99_ms=float(p99), max_ms=float(ms.max()),
                   total_s=float(ms.sum() / 1e3))

    def throughput(self, items_per_call: int) -> float:
        """Items per second over the timed calls (total items / total time)."""
        return items_per_call * self.runs / self.total_s if self.total_s > 0 else float("inf")

    def to_dict(self) -> dict:
        return asdict(self)


def elapsed_ns(fn: Callable[[], T]) -> tuple[T, int]:
    """Call `fn` once; return its result and the nanoseconds it took."""
    start = time.perf_counter_ns()
    result = fn()
    return result, time.perf_counter_ns() - start


def time_calls(fn: Callable[[], object], policy: RunPolicy,
               on_progress: Callable[[int], None] | None = None) -> list[int]:
    """Run `fn` `policy.warmup` times untimed, then time it per `policy`; return the
    per-call durations in nanoseconds."""
    for _ in range(policy.warmup):
        fn()
    samples: list[int] = []
    deadline = None if policy.duration_s is None else time.perf_counter_ns() + int(policy.duration_s * 1e9)
    while True:
        samples.append(elapsed_ns(fn)[1])
        if on_progress is not None:
            on_progress(len(samples))
        if policy.runs is not None:
            if len(samples) >= policy.runs:
                return samples
        elif len(samples) >= policy.min_runs and time.perf_counter_ns() >= deadline:
            return samples


def measure(fn: Callable[[], object], policy: RunPolicy,
            on_progress: Callable[[int], None] | None = None) -> LatencyStats:
    """Steady-state latency statistics of `fn` under `policy`."""
    return LatencyStats.from_ns(time_calls(fn, policy, on_progress))
