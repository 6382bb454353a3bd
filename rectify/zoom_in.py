"""The zoom-in repair pass (PAL): around each artifact region, crop a context window,
resize it to the inpainter's working size, inpaint the grown region, resize back and
blend it in with a feathered edge. numpy and OpenCV orchestrate; the inpainter does
the pixels (torch for the built-in ones)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from artifactsdk.errors import InvalidInputError
import artifactsdk.rectify.dependencies as dependencies
from artifactsdk.rectify.inpainters.base import Inpainter, check_pair
from artifactsdk.rectify.masks import Box, Component, binarize, components, dilate_component, feather, paint
from artifactsdk.rectify.windows import context_window, merge


@dataclass(frozen=True)
class ZoomInConfig:
    threshold: float = 0.5        # probability above which a mask pixel is an artifact
    min_region_pixels: int = 16   # smaller specks are left alone (after joining close specks)
    grow: float = 0.08            # dilation radius as a fraction of the region's longer side
    min_grow: int = 3             # ... but at least this many pixels; specks closer than this join
    max_grow: int = 16            # ... and at most this many
    context: float = 2.5          # window side as a multiple of the grown region's longer side
    min_window: int = 64
    feather: int = 4              # blend ramp width outside the hole, in image pixels

    def __post_init__(self):
        if self.context < 1.0 or self.min_window < 8 or self.feather < 0 or self.min_grow < 0:
            raise InvalidInputError(
                f"zoom-in settings out of range: context >= 1, min_window >= 8, feather >= 0, "
                f"min_grow >= 0 expected, found {self}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class WindowRepair:
    window: Box
    working_shape: tuple[int, int]   # height, width the inpainter saw
    hole_pixels: int                 # repainted pixels at image resolution
    seconds: float
    kept: bool = True                # False when the detector found no less artifact in it afterwards

    def to_dict(self) -> dict:
        return {"window": list(self.window), "working_shape": list(self.working_shape),
                "hole_pixels": self.hole_pixels, "seconds": round(self.seconds, 4), "kept": self.kept}


@dataclass(frozen=True)
class RepairPass:
    inpainter: str
    regions: int
    windows: tuple[WindowRepair, ...]
    hole_fraction: float             # share of the image repainted (windows put back later included)
    seconds: float

    def to_dict(self) -> dict:
        return {"inpainter": self.inpainter, "regions": self.regions,
                "windows": [w.to_dict() for w in self.windows],
                "hole_fraction": round(self.hole_fraction, 6), "seconds": round(self.seconds, 4)}


@dataclass(frozen=True)
class RepairPlan:
    """Where to repaint: the grown hole (HxW bool) and the merged context windows."""

    hole: np.ndarray
    windows: tuple[Box, ...]
    regions: int


def plan(mask: np.ndarray, shape: tuple[int, int], config: ZoomInConfig = ZoomInConfig()) -> RepairPlan:
    """Regions of `mask` (specks closer than `min_grow` joined), each grown in proportion to
    its size, with one context window per region and overlapping windows merged."""
    artifact = binarize(mask, config.threshold, shape)
    joined = dilate_component(Component((0, 0, shape[1], shape[0]), artifact), config.min_grow, shape)
    regions = [region for region in components(joined.pixels, 1)
               if _pixels_inside(artifact, region) >= config.min_region_pixels]
    grown = [dilate_component(region, _grow_radius(region.box, config) - config.min_grow, shape)
             for region in regions]
    windows = merge([context_window(region.box, shape, config.context, config.min_window) for region in grown])
    return RepairPlan(paint(grown, shape), tuple(windows), len(regions))


def repair(image: np.ndarray, mask: np.ndarray, inpainter: Inpainter, device=None,
           config: ZoomInConfig = ZoomInConfig()) -> tuple[np.ndarray, RepairPass]:
    """Repaint the artifact regions of `mask` (bool, or probabilities >= config.threshold).
    Returns the repaired HxWx3 uint8 image and the record of what was done."""
    started = time.perf_counter()
    shape = image.shape[:2]
    where = plan(mask, shape, config)
    check_pair(image, where.hole)
    repaired = image.copy()
    records = tuple(_repair_window(image, where.hole, window, inpainter, device, config, repaired)
                    for window in where.windows)
    return repaired, RepairPass(inpainter.name, where.regions, records, float(where.hole.mean()),
                                time.perf_counter() - started)


def _pixels_inside(mask: np.ndarray, region: Component) -> int:
    x0, y0, x1, y1 = region.box
    return int(mask[y0:y1, x0:x1][region.pixels].sum())


def _grow_radius(box: Box, config: ZoomInConfig) -> int:
    longer = max(box[2] - box[0], box[3] - box[1])
    return int(min(config.max_grow, max(config.min_grow, round(config.grow * longer))))


def _repair_window(image, hole, window: Box, inpainter: Inpainter, device, config: ZoomInConfig,
                   out: np.ndarray) -> WindowRepair:
    """Inpaint one window at working size and blend it into `out` in place."""
    started = time.perf_counter()
    x0, y0, x1, y1 = window
    crop, crop_hole = image[y0:y1, x0:x1], hole[y0:y1, x0:x1]
    working_image, working_hole = working_crops(image, hole, window, inpainter)
    painted = inpainter.inpaint(working_image, working_hole, device)
    painted = _resize(painted, crop.shape[:2]).astype(np.float32)
    alpha = feather(crop_hole, config.feather)[..., None]
    blended = alpha * painted + (1.0 - alpha) * crop.astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return WindowRepair(window, working_hole.shape, int(crop_hole.sum()), time.perf_counter() - started)


def working_crops(image: np.ndarray, hole: np.ndarray, window: Box, inpainter, *extra: np.ndarray) -> tuple:
    """The window's image and hole (and any `extra` images) at the inpainter's working size."""
    x0, y0, x1, y1 = window
    working = _working_shape((y1 - y0, x1 - x0), inpainter)
    return (_resize(image[y0:y1, x0:x1], working), _resize_mask(hole[y0:y1, x0:x1], working),
            *(_resize(e[y0:y1, x0:x1], working) for e in extra))


def _working_shape(shape: tuple[int, int], inpainter: Inpainter) -> tuple[int, int]:
    scale = inpainter.working_size / max(shape)
    if not inpainter.upscale:
        scale = min(scale, 1.0)
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))


def _resize(pixels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if pixels.shape[:2] == tuple(shape):
        return pixels
    cv2 = dependencies.cv2()
    shrinking = shape[0] < pixels.shape[0]
    return cv2.resize(pixels, (shape[1], shape[0]), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def _resize_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize a hole so that every working pixel touching the hole stays in it."""
    if mask.shape == tuple(shape):
        return mask
    cv2 = dependencies.cv2()
    interpolation = cv2.INTER_AREA if shape[0] < mask.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(mask.astype(np.float32), (shape[1], shape[0]), interpolation=interpolation) > 0.0
