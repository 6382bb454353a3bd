"""What `artifactsdk serve` is started with, passed to each uvicorn worker as JSON in an
environment variable (workers are separate processes that import the app by name)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from artifactsdk.errors import InvalidInputError

ENVIRONMENT_VARIABLE = "ARTIFACTSDK_SERVE_SETTINGS"
MiB = 1 << 20


@dataclass(frozen=True)
class ServerSettings:
    bundle: str = "default"
    backend: str = "auto"
    precision: str = "auto"
    threads: int | None = None
    reduce: str = "score"          # the reward /v1/reward gives unless the request names one
    batch_size: int = 8            # images per model run
    max_bytes: int = 32 * MiB      # one request's body
    max_batch: int = 64            # images in one /v1/reward request
    max_pixels: int = 4096 * 4096  # one decoded image (a guard against decompression bombs)
    trusted_keys: tuple[str, ...] | None = None  # public key files: refuse a bundle none of them signed

    def __post_init__(self):
        for name in ("batch_size", "max_bytes", "max_batch", "max_pixels"):
            if getattr(self, name) < 1:
                raise InvalidInputError(f"{name} must be at least 1, got {getattr(self, name)}")

    def to_environment(self) -> None:
        os.environ[ENVIRONMENT_VARIABLE] = json.dumps(asdict(self))

    @classmethod
    def from_environment(cls) -> "ServerSettings":
        text = os.environ.get(ENVIRONMENT_VARIABLE)
        return cls(**json.loads(text)) if text else cls()
