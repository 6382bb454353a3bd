"""OpenCV's Telea fast-marching inpainting: the classical baseline, run through the same
zoom-in pipeline as every other inpainter so comparisons are like for like."""

from __future__ import annotations

import numpy as np

import artifactsdk.rectify.dependencies as dependencies
from artifactsdk.rectify.inpainters.base import Inpainter


class TeleaInpainter(Inpainter):
    name = "telea"
    working_size = 256
    upscale = False

    def __init__(self, radius: int = 5):
        self.radius = radius

    def _inpaint(self, image: np.ndarray, mask: np.ndarray, device) -> np.ndarray:
        cv2 = dependencies.cv2()
        return cv2.inpaint(image, mask.astype(np.uint8), self.radius, cv2.INPAINT_TELEA)
