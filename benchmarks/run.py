"""One bench run: plan the configurations, measure the machine's peak, time every
configuration (with its accuracy), the detector end to end, and gather the report."""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from artifactsdk.benchmarks.accuracy import HELD_OUT_IMAGE_SIZE, evaluate_runner, held_out_samples
from artifactsdk.benchmarks.detector_e2e import bench_detector, write_test_image
from artifactsdk.benchmarks.environment import bench_environment, load_average
from artifactsdk.benchmarks.harness import ConfigResult, Skipped
from artifactsdk.benchmarks.peak import machine_peak
from artifactsdk.benchmarks.peers import PEER_WARMUP, peers_in_tempdir
from artifactsdk.benchmarks.plan import TORCH_PRECISION, backend_name, plan_bundle
from artifactsdk.benchmarks.report import (BenchReport, Gate, accuracy_drops, max_drop_gate, min_speedup_gate,
                                           speedups)
from artifactsdk.benchmarks.subjects import Subject, onnx_file_subject, torchscript_subject
from artifactsdk.benchmarks.sweep import providers_used, time_subjects
from artifactsdk.benchmarks.timing import RunPolicy
from artifactsdk.bundle import ROLES, Bundle
from artifactsdk.detector import Detector
from artifactsdk.detector_settings import DetectorSettings
from artifactsdk.errors import ArtifactSDKError, InvalidInputError
from artifactsdk.progress import Progress
from artifactsdk.runtimes.registry import BACKENDS

DETECTOR = "detector"


@dataclass(frozen=True)
class BenchSettings:
    """What `artifactsdk bench` measures; its settings fill these fields (sdk/cli/bench.py)."""

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


def _bundle_run(settings: BenchSettings, peaks: dict, progress: Progress):
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
    status = {}
    for entry in BACKENDS:
        reason = entry.probe()
        status[entry.name] = {"available": reason is None, "reason": reason}
    return status


def _gates(settings: BenchSettings, results: list[ConfigResult]) -> list[Gate]:
    gates = []
    if settings.min_speedup is not None:
        gates.append(min_speedup_gate(speedups(results), settings.min_speedup))
    if settings.max_drop is not None:
        gates.append(max_drop_gate(accuracy_drops(results), settings.max_drop))
    return gates


def run_bench(settings: BenchSettings, command: str, progress: Progress | None = None) -> BenchReport:
    """Everything `artifactsdk bench` measures, as one report."""
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
