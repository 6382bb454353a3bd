"""The built-in learned inpainter: a small U-Net (artifactsdk.models.restorer) trained
here on the synthetic engine's clean originals (artifactsdk.training.restorer_recipe).
Unlike a blind inpainter it also sees what the artifact left in the hole, so it can keep
the structure that survived (a darkened or blurred region) and replace what did not (a
pasted duplicate).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import artifactsdk.rectify.dependencies as dependencies
from artifactsdk.rectify.inpainters.base import Inpainter
from artifactsdk.rectify.inpainters.diffusion import harmonic_fill
from artifactsdk.rectify.inpainters.padding import pad_to_multiple
from artifactsdk.rectify.inpainters.tensors import to_image, to_tensors

FILL_SWEEPS = 40


class RestorerInpainter(Inpainter):
    name = "restorer"
    working_size = 256
    upscale = False

    def __init__(self, weights: str | Path | None = None):
        """`weights`: a state dict file; default: the shipped one (artifactsdk-weights)."""
        self.weights = None if weights is None else Path(weights)
        self._networks: dict[str, object] = {}

    def network(self, device):
        key = str(device)
        if key not in self._networks:
            dependencies.torch()
            # imports torch: only when this runs
            from artifactsdk.models.restorer import load_restorer

            self._networks[key] = load_restorer(self.weights).to(device)
        return self._networks[key]

    def _inpaint(self, image: np.ndarray, mask: np.ndarray, device) -> np.ndarray:
        torch = dependencies.torch()
        # imports torch: only when this runs
        from artifactsdk.models.restorer import downsampling_factor

        torch_device = dependencies.resolve_device(device)
        height, width = mask.shape
        padded, padded_mask = pad_to_multiple(image, mask, downsampling_factor())
        with torch.inference_mode():
            pixels, hole = to_tensors(padded, padded_mask, torch_device)
            fill = harmonic_fill(pixels, hole, FILL_SWEEPS)
            return to_image(self.network(torch_device)(pixels, hole, fill))[:height, :width]
