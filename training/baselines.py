"""Training-free image-quality baselines, reported beside every learned figure.

Each maps HxWx3 uint8 RGB to a *quality* (higher = better), so it ranks against MOS the
same way as -artifact_score:
- ``laplacian``: variance of the Laplacian of the grey image (sharpness; no model);
- ``brisque``: BRISQUE (Mittal et al., 2012) with the SVR model the ``brisque`` package
  ships (offline), on the image downscaled to at most ``BASELINE_MAX_SIDE``.
A missing optional package raises MissingDependencyError naming the ``eval`` extra.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np
from PIL import Image

from artifactsdk.errors import MissingDependencyError

BASELINE_MAX_SIDE = 512  # BRISQUE's statistics are scale dependent: score what people saw, at most 512


def laplacian_variance(pixels: np.ndarray) -> float:
    """Variance of the Laplacian of the grey image (float, 0-255, ITU-R 601 luma)."""
    from scipy import ndimage

    grey = np.asarray(Image.fromarray(pixels).convert("F"))
    return float(ndimage.laplace(grey).var(dtype=np.float64))


def downscaled(pixels: np.ndarray, max_side: int = BASELINE_MAX_SIDE) -> np.ndarray:
    """The image with its longest side at most ``max_side`` (area-averaged), else as it is."""
    height, width = pixels.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.BOX))


@lru_cache(maxsize=1)
def _brisque_model():
    try:
        from brisque import BRISQUE
    except ImportError:
        raise MissingDependencyError("brisque", "eval", "The BRISQUE baseline") from None

    class ShippedBrisque(BRISQUE):
        """The package's model with its features flattened to floats first: under numpy 2 its
        own ``float(feature)`` fails on the one-element arrays its fit returns."""

        def scale_features(self, features):
            flat = [np.asarray(feature, dtype=np.float64).ravel()[0] for feature in features]
            return super().scale_features(flat)

    return ShippedBrisque(url=False)


def brisque_quality(pixels: np.ndarray) -> float:
    """-BRISQUE (the package's score is lower for better images), at most 512 pixels a side."""
    return -float(_brisque_model().score(downscaled(pixels)))


BASELINES: dict[str, Callable[[np.ndarray], float]] = {
    "laplacian_variance": laplacian_variance,
    "brisque": brisque_quality,
}
