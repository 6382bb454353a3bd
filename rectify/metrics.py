"""Image quality inside a region: PSNR and SSIM against a known clean original."""

from __future__ import annotations

import numpy as np

import artifactsdk.rectify.dependencies as dependencies

PSNR_CAP = 60.0  # dB reported for a region restored exactly (MSE 0)


def region_psnr(image: np.ndarray, reference: np.ndarray, region: np.ndarray) -> float:
    """PSNR (dB, 8-bit peak) over the pixels of `region` (HxW bool), all channels."""
    difference = image[region].astype(np.float64) - reference[region].astype(np.float64)
    mse = float(np.mean(difference ** 2))
    return PSNR_CAP if mse == 0 else min(PSNR_CAP, 10.0 * np.log10(255.0 ** 2 / mse))


def region_ssim(image: np.ndarray, reference: np.ndarray, region: np.ndarray) -> float:
    """Mean of the SSIM map (Gaussian window, sigma 1.5, per channel) over `region`."""
    cv2 = dependencies.cv2()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    x, y = image.astype(np.float64), reference.astype(np.float64)

    def blur(values):
        return cv2.GaussianBlur(values, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    mean_x, mean_y = blur(x), blur(y)
    var_x = blur(x * x) - mean_x ** 2
    var_y = blur(y * y) - mean_y ** 2
    covariance = blur(x * y) - mean_x * mean_y
    ssim = ((2 * mean_x * mean_y + c1) * (2 * covariance + c2)) / \
        ((mean_x ** 2 + mean_y ** 2 + c1) * (var_x + var_y + c2))
    return float(ssim[region].mean())
