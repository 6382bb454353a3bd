"""What `artifactsdk build-engine` asks of TensorRT (export/tensorrt_build.py), as one settings
object without the heavy imports, so the command can declare its options from it."""

from __future__ import annotations

from dataclasses import dataclass

from artifactsdk.errors import InvalidInputError
from artifactsdk.runtimes.tensorrt_support import HARDWARE_COMPAT_LEVELS

PRECISIONS = ("fp16", "int8")


@dataclass(frozen=True)
class EngineBuildOptions:
    precision: str = "fp16"
    models: tuple[str, ...] = ()  # empty: every model of the bundle
    min_shape: tuple[int, ...] | None = None
    opt_shape: tuple[int, ...] | None = None
    max_shape: tuple[int, ...] | None = None
    workspace_gib: float = 4.0
    timing_cache: str | None = None
    version_compatible: bool = False
    hardware_compat: str = "none"

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise InvalidInputError(f"precision must be one of {PRECISIONS}, got {self.precision!r}.")
        if self.hardware_compat not in HARDWARE_COMPAT_LEVELS:
            raise InvalidInputError(
                f"hardware compatibility must be one of {HARDWARE_COMPAT_LEVELS}, got {self.hardware_compat!r}.")
        if self.workspace_gib <= 0:
            raise InvalidInputError(f"the workspace must be a positive number of GiB, got {self.workspace_gib}.")
