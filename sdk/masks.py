"""A detection's probability mask at the image's size, and its share of the image as the
captions and the overlay labels write it. Below both the record (`detection`) and the code
that makes records (`postprocess`), so neither imports the other's helpers."""

from __future__ import annotations

import numpy as np
from PIL import Image


def upsample(probability: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(h, w) float map -> (height, width) float32, bilinear."""
    if (probability.shape[1], probability.shape[0]) == tuple(size):
        return probability.astype(np.float32, copy=True)
    image = Image.fromarray(np.ascontiguousarray(probability, dtype=np.float32))
    return np.asarray(image.resize(tuple(size), Image.BILINEAR), dtype=np.float32)


def area_share(area_fraction: float) -> str:
    """A region's share of the image in whole percent as captions write it: "< 1", "4", "37"."""
    percent = area_fraction * 100
    return "< 1" if percent < 1 else f"{percent:.0f}"
