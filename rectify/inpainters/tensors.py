"""numpy uint8 images <-> torch float tensors on a device, for the torch inpainters."""

from __future__ import annotations

import numpy as np

import artifactsdk.rectify.dependencies as dependencies


def to_tensors(image: np.ndarray, mask: np.ndarray, device):
    """HxWx3 uint8 + HxW bool -> (1x3xHxW float in [0, 1], 1x1xHxW float hole) on `device`."""
    torch = dependencies.torch()
    # copies: decoded images can be read-only views, which torch warns about sharing
    pixels = torch.from_numpy(np.array(image, order="C")).to(device).permute(2, 0, 1)[None].float() / 255.0
    hole = torch.from_numpy(np.array(mask, order="C")).to(device)[None, None].float()
    return pixels, hole


def to_image(pixels) -> np.ndarray:
    """1x3xHxW float in [0, 1] -> HxWx3 uint8."""
    return (pixels[0].clamp(0, 1) * 255.0 + 0.5).byte().permute(1, 2, 0).cpu().numpy()
