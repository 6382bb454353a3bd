"""The one interface every inpainter fills in: image + hole mask (+ device) -> image."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from artifactsdk.errors import InvalidInputError


class Inpainter(ABC):
    """Repaints the masked pixels of an RGB image.

    `working_size` is the longer side (pixels) the zoom-in pipeline resizes each context
    window to; with `upscale` False, windows smaller than that keep their resolution
    (useful for exemplar methods, which gain nothing from upsampled pixels).
    """

    name: str = "inpainter"
    working_size: int = 512
    upscale: bool = True

    def inpaint(self, image: np.ndarray, mask: np.ndarray, device=None) -> np.ndarray:
        """image HxWx3 uint8 RGB, mask HxW bool (True = repaint) -> HxWx3 uint8 RGB.
        Pixels outside the mask are returned unchanged."""
        check_pair(image, mask)
        if not mask.any():
            return image.copy()
        filled = self._inpaint(image, mask, device)
        return np.where(mask[..., None], filled, image)

    @abstractmethod
    def _inpaint(self, image: np.ndarray, mask: np.ndarray, device) -> np.ndarray:
        """Fill the hole; the caller keeps the known pixels."""


def check_pair(image: np.ndarray, mask: np.ndarray) -> None:
    if not (isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3
            and image.dtype == np.uint8):
        found = getattr(image, "shape", type(image).__name__), getattr(image, "dtype", "")
        raise InvalidInputError(f"inpainting expects an HxWx3 uint8 RGB array, found {found}")
    if not (isinstance(mask, np.ndarray) and mask.dtype == bool and mask.shape == image.shape[:2]):
        found = getattr(mask, "shape", type(mask).__name__), getattr(mask, "dtype", "")
        raise InvalidInputError(
            f"inpainting expects an HxW bool mask matching the image {image.shape[:2]}, found {found}")
