"""The detector end to end: an encoded image file to a `Detection` with its mask and
regions, timed whole and split into decode, preprocess, inference and postprocess.

The split is the one each `Detection` reports (`timings_ms`, measured inside
`Detector.detect`); "mask" is reading the full-resolution probability mask, which a
Detection upsamples on first use. The total is `Detector.detect(path)` plus the mask,
timed around the call, so it is the number an app sees; "other" is what the stages do
not cover (the call itself, building the result).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from artifactsdk.benchmarks.timing import LatencyStats, RunPolicy, time_calls

E2E_IMAGE_SIZE = 1024
STAGES = ("decode", "preprocess", "inference", "postprocess", "mask", "other", "total")


@dataclass(frozen=True)
class DetectorResult:
    backend: str
    precision: str
    image: str  # what was decoded, e.g. "1024x1024 PNG, 1.2 MB"
    stages: dict[str, LatencyStats]
    models: dict[str, dict]  # role -> the backend's describe()
    regions: int  # regions found in the timed image (a sanity check, not a metric)

    @property
    def overhead_ratio(self) -> float:
        """Total p50 over the models' inference p50: 1.0 means pre/post-processing are free."""
        return self.stages["total"].p50_ms / self.stages["inference"].p50_ms

    def to_dict(self) -> dict:
        return {"backend": self.backend, "precision": self.precision, "image": self.image,
                "stages": {name: stats.to_dict() for name, stats in self.stages.items()},
                "models": self.models, "regions": self.regions, "overhead_ratio": self.overhead_ratio,
                "split_source": "Detection.timings_ms of the timed calls; total = Detector.detect + mask"}


def write_test_image(path: Path, size: int = E2E_IMAGE_SIZE, seed: int = 1000) -> Path:
    """A synthetic image with artifacts, encoded as PNG (what a user would hand in)."""
    from PIL import Image

    # imports scipy: only when this runs
    from artifactsdk.training.synth.engine import SynthConfig, generate_sample

    sample = generate_sample(seed, 0, SynthConfig(size=size))
    Image.fromarray(sample.image).save(path, format="PNG")
    return path


def bench_detector(detector, image_path: Path, policy: RunPolicy, backend: str, precision: str) -> DetectorResult:
    """Time `detector` on `image_path` whole, and split by the stage times it reports."""
    splits: list[dict[str, float]] = []
    detection = None

    def end_to_end():
        nonlocal detection
        started = time.perf_counter_ns()
        detection = detector.detect(image_path)
        mask_started = time.perf_counter_ns()
        detection.mask  # noqa: B018 -- reading it is the work being timed
        done = time.perf_counter_ns()
        stages = detection.timings_ms
        inference = sum(ms for role, ms in stages.items() if role in detector.backends)
        split = {"decode": stages["decode"], "preprocess": stages["preprocess"], "inference": inference,
                 "postprocess": stages["postprocess"], "mask": (done - mask_started) / 1e6}
        split["other"] = max(0.0, (mask_started - started) / 1e6 - stages["total"])
        splits.append(split)

    totals = time_calls(end_to_end, policy)
    timed = splits[-len(totals):]  # the warm-up calls are not part of the statistics
    stages = {name: LatencyStats.from_ns([int(split[name] * 1e6) for split in timed]) for name in STAGES[:-1]}
    stages["total"] = LatencyStats.from_ns(totals)
    width, height = detection.original_size
    image = f"{width}x{height} {image_path.suffix.lstrip('.').upper()}, {image_path.stat().st_size / 1e6:.2f} MB"
    return DetectorResult(backend=backend, precision=precision, image=image, stages=stages,
                          models={role: b.describe() for role, b in detector.backends.items()},
                          regions=len(detection.regions))
