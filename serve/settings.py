"""What `artifactsdk serve` is started with, passed to each uvicorn worker as JSON in an
environment variable (workers are separate processes that import the app by name)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from artifactsdk.detector_settings import DetectorSettings
from artifactsdk.errors import InvalidInputError

ENVIRONMENT_VARIABLE = "ARTIFACTSDK_SERVE_SETTINGS"
MiB = 1 << 20


@dataclass(frozen=True)
class ServerSettings:
    # each worker's Detector; its max_pixels bounds one decoded image and one request's work at once
    detector: DetectorSettings = field(default_factory=lambda: DetectorSettings(max_pixels=4096 * 4096))
    reduce: str = "score"          # the reward /v1/reward gives unless the request names one
    batch_size: int = 8            # images per model run
    max_bytes: int = 32 * MiB      # one request's body
    max_batch: int = 64            # images in one /v1/reward request
    pixel_budget: int = 2 * 4096 * 4096  # decoded pixels all requests of a worker hold at once
    queue_seconds: float = 30.0    # how long a request waits for budget before 503
    header_timeout: float = 10.0   # a request's headers must arrive within this
    body_timeout: float = 60.0     # and its body within this after the headers

    def __post_init__(self):
        if self.detector.max_pixels is None:
            raise InvalidInputError("the server needs detector.max_pixels: the pixel budget is counted in it")
        for name in ("batch_size", "max_bytes", "max_batch", "pixel_budget"):
            if getattr(self, name) < 1:
                raise InvalidInputError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("queue_seconds", "header_timeout", "body_timeout"):
            if not getattr(self, name) > 0:
                raise InvalidInputError(f"{name} must be more than 0 seconds, got {getattr(self, name)}")
        if self.pixel_budget < self.max_pixels:
            raise InvalidInputError(f"pixel_budget ({self.pixel_budget:,}) must be at least max_pixels "
                                    f"({self.max_pixels:,}): else an allowed image could never be decoded")

    @property
    def max_pixels(self) -> int:
        """The largest decoded image (the detector's limit)."""
        return self.detector.max_pixels

    def to_environment(self) -> None:
        os.environ[ENVIRONMENT_VARIABLE] = json.dumps(asdict(self))

    @classmethod
    def from_environment(cls) -> "ServerSettings":
        text = os.environ.get(ENVIRONMENT_VARIABLE)
        if not text:
            return cls()
        values = json.loads(text)
        return cls(**{**values, "detector": DetectorSettings(**values["detector"])})
