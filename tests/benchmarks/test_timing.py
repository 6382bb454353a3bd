import pytest

from artifactsdk.benchmarks.timing import DEFAULT_DURATION_S, LatencyStats, RunPolicy, measure, time_calls
from artifactsdk.errors import InvalidInputError


def test_policy_needs_exactly_one_of_runs_and_duration():
    with pytest.raises(InvalidInputError, match="not both"):
        RunPolicy(runs=5, duration_s=1.0)
    assert RunPolicy(runs=None, duration_s=None).duration_s == DEFAULT_DURATION_S
    with pytest.raises(InvalidInputError, match="warm-up"):
        RunPolicy(warmup=-1, runs=3, duration_s=None)


def test_warmup_calls_are_made_but_not_timed():
    calls = []
    samples = time_calls(lambda: calls.append(1), RunPolicy(warmup=4, runs=7, duration_s=None))
    assert len(calls) == 11
    assert len(samples) == 7
    assert all(isinstance(s, int) and s >= 0 for s in samples)


def test_duration_policy_times_at_least_min_runs():
    samples = time_calls(lambda: None, RunPolicy(warmup=0, runs=None, duration_s=1e-9, min_runs=6))
    assert len(samples) == 6


def test_statistics_of_known_samples():
    stats = LatencyStats.from_ns([i * 1_000_000 for i in range(1, 101)])  # 1..100 ms
    assert stats.runs == 100
    assert stats.min_ms == 1.0 and stats.max_ms == 100.0
    assert stats.mean_ms == pytest.approx(50.5)
    assert stats.p50_ms == pytest.approx(50.5)
    assert stats.p90_ms == pytest.approx(90.1)
    assert stats.p99_ms == pytest.approx(99.01)
    assert stats.total_s == pytest.approx(5.05)
    # 4 images per call, 100 calls in 5.05 s
    assert stats.throughput(4) == pytest.approx(400 / 5.05)


def test_empty_samples_are_refused():
    with pytest.raises(InvalidInputError):
        LatencyStats.from_ns([])


def test_progress_callback_sees_every_timed_call():
    seen = []
    measure(lambda: None, RunPolicy(warmup=2, runs=3, duration_s=None), seen.append)
    assert seen == [1, 2, 3]
