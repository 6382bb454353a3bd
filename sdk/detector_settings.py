"""`DetectorSettings`: the one declaration of a Detector's options.

`Detector.load(settings)` takes it; the commands declare their detector options from it
(`artifactsdk.cli.detector_options`), and the server's `ServerSettings`, `ArtifactReward` and
the scan's Ray actors carry one nested. A new option is a field here and its use in
`Detector`; every command, the server and the reward then have it
(tests/sdk/test_detector_settings_reach.py holds this).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from artifactsdk import limits
from artifactsdk.bundle import Bundle
from artifactsdk.errors import InvalidInputError
from artifactsdk.image_io import DEFAULT_MAX_SIDE, MIN_SIDE
from artifactsdk.thresholds import check_overrides

MODES = ("full", "cascade")


@dataclasses.dataclass(frozen=True)
class DetectorSettings:
    """Every value is checked here (InvalidInputError), before anything is loaded."""

    bundle: str | os.PathLike | Bundle = "default"  # "default" (shipped with the package), a folder, or opened
    backend: str = "auto"  # "auto": the best that runs here (artifactsdk.runtimes.registry)
    # "auto": int8 on CPU when the bundle has it, fp16 on GPU, else fp32; or fp32, int8, fp16 (GPU only)
    precision: str = "auto"
    threads: int | None = None  # inference threads (None: the runtime's default, all cores)
    mode: str = "full"  # cascade: the segmenter runs only on images the classifier flags
    thresholds: Mapping[str, float] | None = None  # overrides of the bundle's (keys of DEFAULT_THRESHOLDS)
    max_pixels: int | None = None  # decoded images larger than this are refused
    max_side: int = DEFAULT_MAX_SIDE  # decoded images are scaled down to this longest side
    # decode at least twice the models' input size smaller (JPEG draft, PIL reduce): faster, scores may move
    # slightly, boxes stay in the full image's pixels, overlays are the smaller pixels enlarged
    reduced_decode: bool = False
    # Ed25519 public keys (PEM paths or bytes): when given, a bundle none of them signed is refused
    trusted_keys: tuple | None = None
    cache_dir: str | os.PathLike | None = None  # where a backend keeps what it builds (TensorRT engines)

    def __post_init__(self):
        if self.mode not in MODES:
            raise InvalidInputError(f"unknown mode {self.mode!r}; expected one of {', '.join(MODES)}")
        if self.thresholds is not None:
            object.__setattr__(self, "thresholds", check_overrides(self.thresholds))
        if self.max_pixels is not None:
            limits.positive_int("max_pixels", self.max_pixels)
        limits.positive_int("max_side", self.max_side, MIN_SIDE)
        limits.threads(self.threads)
        if self.trusted_keys is not None:
            object.__setattr__(self, "trusted_keys", tuple(self.trusted_keys))

