"""Coarse-to-fine harmonic fill in torch: each hole pixel becomes the smooth (membrane)
interpolation of the hole's border, solved on an image pyramid so large holes converge
in a few dozen relaxation sweeps per level."""

from __future__ import annotations

import numpy as np

import artifactsdk.rectify.dependencies as dependencies
from artifactsdk.rectify.inpainters.base import Inpainter
from artifactsdk.rectify.inpainters.tensors import to_image, to_tensors


class DiffusionInpainter(Inpainter):
    name = "diffusion"
    working_size = 256
    upscale = False

    def __init__(self, sweeps: int = 40):
        self.sweeps = sweeps

    def _inpaint(self, image: np.ndarray, mask: np.ndarray, device) -> np.ndarray:
        torch = dependencies.torch()
        with torch.inference_mode():
            pixels, hole = to_tensors(image, mask, dependencies.resolve_device(device))
            return to_image(harmonic_fill(pixels, hole, self.sweeps))


def harmonic_fill(pixels, hole, sweeps: int):
    """Fill hole (1 = unknown) of NxCxHxW `pixels` with the harmonic interpolant of its border."""
    torch = dependencies.torch()
    functional = torch.nn.functional
    known = 1.0 - hole
    if not bool(hole.any()):
        return pixels
    height, width = pixels.shape[-2:]
    if min(height, width) <= 4 or not bool(known.any()):
        count = known.sum(dim=(2, 3), keepdim=True).clamp(min=1.0)
        start = (pixels * known).sum(dim=(2, 3), keepdim=True) / count
        return relax(pixels * known + start * hole, hole, sweeps)
    weight = functional.avg_pool2d(known, 2, ceil_mode=True)
    coarse = functional.avg_pool2d(pixels * known, 2, ceil_mode=True) / weight.clamp(min=1e-6)
    coarse_filled = harmonic_fill(coarse, (weight == 0).float(), sweeps)
    start = functional.interpolate(coarse_filled, size=(height, width), mode="bilinear", align_corners=False)
    return relax(pixels * known + start * hole, hole, sweeps)


def relax(pixels, hole, sweeps: int):
    """Jacobi sweeps of the 4-neighbour mean on the hole pixels only."""
    functional = dependencies.torch().nn.functional
    known_part = pixels * (1.0 - hole)
    for _ in range(sweeps):
        padded = functional.pad(pixels, (1, 1, 1, 1), mode="replicate")
        neighbours = (padded[..., :-2, 1:-1] + padded[..., 2:, 1:-1] + padded[..., 1:-1, :-2]
                      + padded[..., 1:-1, 2:]) * 0.25
        pixels = known_part + neighbours * hole
    return pixels
