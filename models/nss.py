"""Natural-scene statistics of an image, as a torch module that exports to plain ONNX ops.

The idea is BRISQUE's (Mittal et al., 2012): in an undistorted photograph the locally
normalised luminance (MSCN coefficients) and the products of neighbouring coefficients
follow regular distributions; blur, noise, smearing and over-smooth generator texture
change their spread and their shape. BRISQUE fits a generalised Gaussian to each and
feeds the fitted parameters to an SVR. Here the same information is kept as moments,
which need no fitting and no lookup table: the spread E[x^2], the shape ratio
(E|x|)^2 / E[x^2] (a monotonic function of the generalised Gaussian's shape), and for
the neighbour products the mean and the spread of each side. Two scales, as BRISQUE.

Input: N x 3 x H x W RGB normalised with ``mean`` / ``std`` on 0-255 values (the
classifier's input spec, which the checkpoint config names);
output: N x FEATURES, bounded values (logs and ratios), ready for a linear head.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

KERNEL_SIZE = 7
KERNEL_SIGMA = 7 / 6
SCALES = 2
# right, down, down-right, down-left neighbours: BRISQUE's four orientations
SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))
LUMA = (0.299, 0.587, 0.114)
EPS = 1e-6
FEATURES_PER_SCALE = 2 + 4 * len(SHIFTS)
FEATURES = SCALES * FEATURES_PER_SCALE


def gaussian_kernel(size: int = KERNEL_SIZE, sigma: float = KERNEL_SIGMA) -> torch.Tensor:
    """1 x 1 x size x size normalised Gaussian window."""
    axis = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    window = torch.exp(-(axis[:, None] ** 2 + axis[None, :] ** 2) / (2 * sigma ** 2))
    return (window / window.sum())[None, None]


def _spread_and_shape(x: torch.Tensor) -> list[torch.Tensor]:
    """log E[x^2] and the shape ratio (E|x|)^2 / E[x^2], per image."""
    square = (x * x).mean(dim=(1, 2, 3))
    absolute = x.abs().mean(dim=(1, 2, 3))
    return [torch.log(square + EPS), absolute * absolute / (square + EPS)]


def _side_spreads(x: torch.Tensor) -> list[torch.Tensor]:
    """log E[x^2 | x < 0] and log E[x^2 | x > 0]: the two sides of an asymmetric fit."""
    negative = (x < 0).float()
    positive = 1.0 - negative
    square = x * x
    left = (square * negative).sum(dim=(1, 2, 3)) / (negative.sum(dim=(1, 2, 3)) + 1.0)
    right = (square * positive).sum(dim=(1, 2, 3)) / (positive.sum(dim=(1, 2, 3)) + 1.0)
    return [torch.log(left + EPS), torch.log(right + EPS)]


class NaturalSceneStatistics(nn.Module):
    """N x 3 x H x W normalised RGB -> N x FEATURES moment statistics of MSCN coefficients."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]):
        super().__init__()
        self.register_buffer("window", gaussian_kernel())
        # Undo the normalisation and take luma in one 1x1 convolution: gray = sum_c a_c x_c + b
        weight = torch.tensor([LUMA[c] * std[c] for c in range(3)], dtype=torch.float32)
        self.register_buffer("luma_weight", weight.view(1, 3, 1, 1))
        # luma minus 128: MSCN coefficients do not change with a constant shift, and the local
        # variance E[I^2] - E[I]^2 loses far fewer float32 digits on values centred on 0
        self.luma_bias = float(sum(LUMA[c] * mean[c] for c in range(3))) - 128.0

    def mscn(self, gray: torch.Tensor) -> torch.Tensor:
        """(I - mu) / (sigma + 1) with a Gaussian local mean and deviation (0-255 luma)."""
        pad = KERNEL_SIZE // 2
        padded = F.pad(gray, (pad, pad, pad, pad), mode="replicate")
        mu = F.conv2d(padded, self.window)
        second = F.conv2d(padded * padded, self.window)
        sigma = torch.sqrt(torch.clamp(second - mu * mu, min=0.0))
        return (gray - mu) / (sigma + 1.0)

    def scale_features(self, gray: torch.Tensor) -> list[torch.Tensor]:
        coefficients = self.mscn(gray)
        features = _spread_and_shape(coefficients)
        height, width = coefficients.shape[2], coefficients.shape[3]
        for dy, dx in SHIFTS:
            x0, x1 = max(0, -dx), width - max(0, dx)
            base = coefficients[:, :, 0:height - dy, x0:x1]
            neighbour = coefficients[:, :, dy:height, x0 + dx:x1 + dx]
            product = base * neighbour
            features.append(product.mean(dim=(1, 2, 3)))
            features.append(_spread_and_shape(product)[1])
            features.extend(_side_spreads(product))
        return features

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        gray = F.conv2d(pixels, self.luma_weight) + self.luma_bias
        features = []
        for scale in range(SCALES):
            if scale:
                gray = F.avg_pool2d(gray, 2)
            features.extend(self.scale_features(gray))
        return torch.stack(features, dim=1)

