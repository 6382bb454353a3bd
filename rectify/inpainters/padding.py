"""Padding to a size multiple, for models whose input sides must divide by 8."""

from __future__ import annotations

import numpy as np


def pad_to_multiple(image: np.ndarray, mask: np.ndarray, multiple: int) -> tuple[np.ndarray, np.ndarray]:
    """Pad bottom/right (image mirrored, mask with hole) so both sides divide by `multiple`."""
    height, width = mask.shape
    extra_y, extra_x = -height % multiple, -width % multiple
    if not (extra_y or extra_x):
        return image, mask
    padded = np.pad(image, ((0, extra_y), (0, extra_x), (0, 0)), mode="symmetric")
    padded_mask = np.pad(mask, ((0, extra_y), (0, extra_x)), mode="constant", constant_values=False)
    return padded, padded_mask
