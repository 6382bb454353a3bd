"""What `Detector.detect` returns: frozen dataclasses with `to_dict()`.

The probability mask is kept at the model's output resolution and upsampled to the
image's resolution only when `mask` is first read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from PIL import Image

from artifactsdk.errors import ArtifactSDKError, InvalidInputError
from artifactsdk.image_io import load_image
from artifactsdk.masks import upsample
from artifactsdk.preprocess import resize_rgb
from artifactsdk.record_schema import safe_text
from artifactsdk.render import heatmap as draw_heatmap
from artifactsdk.render import overlay as draw_overlay


@dataclass(frozen=True)
class Region:
    """One connected artifact region."""

    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels; x1, y1 exclusive
    area_fraction: float  # share of the image's pixels over the pixel threshold in this region
    mean_score: float  # mean artifact probability inside the region
    label: str | None  # the most likely class key (from the classifier), None without one
    label_name: str | None
    caption: str  # e.g. "Localized blur in the upper left (4 % of the image)"

    def to_dict(self) -> dict:
        return {"box": list(self.box), "area_fraction": round(self.area_fraction, 6),
                "mean_score": round(self.mean_score, 6), "label": self.label,
                "label_name": self.label_name, "caption": self.caption}


@dataclass(frozen=True)
class Detection:
    """Artifacts found in one image.

    `artifact_score` is the image-level artifact score in [0, 1], 0.5 = at the models'
    tuned thresholds: the mean of the classifier's image probability and the segmenter's
    image score, each calibrated against its own threshold, or whichever ran (see
    artifactsdk.postprocess.artifact_score).
    """

    size: tuple[int, int]  # (width, height) the detection is reported in
    original_size: tuple[int, int]  # (width, height) of the input before any bounding resize
    artifact_score: float
    is_artifact: bool  # artifact_score >= the "decision" threshold (0.5 by default)
    scores: dict[str, float]  # per-class probability, by class key (empty without a classifier)
    labels: tuple[str, ...]  # class keys whose score passes their threshold, best first
    regions: tuple[Region, ...]  # largest first
    segmented: bool  # the segmenter ran (False when cascade mode skipped it)
    pixel_threshold: float
    source: str | None = None
    model_mask: np.ndarray | None = field(default=None, repr=False, compare=False)  # (h, w) float32
    image: np.ndarray | None = field(default=None, repr=False, compare=False)  # the analysed RGB pixels
    # Milliseconds per stage of Detector.detect (decode, preprocess, one entry per model,
    # postprocess, total); in detect_batch the model stages are this image's share of the batch.
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)

    @cached_property
    def mask(self) -> np.ndarray:
        """Artifact probability per pixel, HxW float32 at `size` (zeros if not segmented)."""
        width, height = self.size
        if self.model_mask is None:
            return np.zeros((height, width), dtype=np.float32)
        return upsample(self.model_mask, self.size)

    def binary_mask(self, threshold: float | None = None) -> np.ndarray:
        return self.mask >= (self.pixel_threshold if threshold is None else threshold)

    @cached_property
    def artifact_area(self) -> float:
        """Share of the image marked as artifact: of the model's mask pixels over
        `pixel_threshold`, the resolution the regions are measured at (0 if not segmented).
        Read from the model-sized mask, so no full-size copy is made for it."""
        if self.model_mask is None:
            return 0.0
        return float((self.model_mask >= self.pixel_threshold).mean())

    def mask_image(self):
        """The binary mask as a black-and-white PIL image (white = artifact), at `size`."""
        return Image.fromarray(self.binary_mask().astype("uint8") * 255)

    def overlay(self, image=None, alpha: float = 0.55):
        """PAL-style view: artifact pixels tinted magenta, regions outlined (a PIL image)."""
        return draw_overlay(self._pixels(image), self.binary_mask(), self.regions, alpha=alpha)

    def heatmap(self, image=None, alpha: float | None = None):
        """The probability mask as a colour map; laid over the image with opacity `alpha`
        when `alpha` is given."""
        if alpha is None:
            return draw_heatmap(self.mask)
        return draw_heatmap(self.mask, self._pixels(image), alpha)

    def _pixels(self, image) -> np.ndarray:
        """The pixels to draw on, at `size` (the kept image may have been decoded smaller)."""
        if image is None:
            if self.image is None:
                raise InvalidInputError("this Detection keeps no image; pass the image to draw on")
            pixels = self.image
        else:
            pixels = load_image(image).pixels
        if (pixels.shape[1], pixels.shape[0]) != self.size:
            pixels = resize_rgb(pixels, self.size[1], self.size[0])
        return pixels

    def to_dict(self, timings: bool = False) -> dict:
        """The JSON-ready record; stage times only when asked (they differ run to run)."""
        record = {"source": self.source, "size": list(self.size), "original_size": list(self.original_size),
                "artifact_score": round(self.artifact_score, 6), "is_artifact": self.is_artifact,
                "labels": list(self.labels),
                "scores": {key: round(value, 6) for key, value in self.scores.items()},
                "segmented": self.segmented, "pixel_threshold": self.pixel_threshold,
                "regions": [region.to_dict() for region in self.regions]}
        if timings:
            record["timings_ms"] = {stage: round(ms, 3) for stage, ms in self.timings_ms.items()}
        return record

    def to_json(self, timings: bool = False, **kwargs) -> str:
        return json.dumps(self.to_dict(timings), **kwargs)


@dataclass(frozen=True)
class DetectionFailure:
    """An image Detector.detect_batch could not process, in that image's place: the same
    record the CLI prints for a failed file (and for a path that is not there: no exception)."""

    source: str | None
    error: str
    error_type: str
    exception: Exception | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, source: str | None, exc: Exception) -> "DetectionFailure":
        """SDK errors name the file already; anything else gets the source and its type."""
        reason = str(exc) if isinstance(exc, ArtifactSDKError) else f"{source or 'image'}: {type(exc).__name__}: {exc}"
        return cls(source=source, error=reason, error_type=type(exc).__name__, exception=exc)

    def to_dict(self) -> dict:
        """The failure record of detection.schema.json, its text safe to write as UTF-8 JSON."""
        return {"source": None if self.source is None else safe_text(self.source), "error": safe_text(self.error),
                "error_type": self.error_type}
