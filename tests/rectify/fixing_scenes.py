"""Scenes with known clean originals, shared by the fixing tests."""

import numpy as np

from artifactsdk.thresholds import Thresholds


def smooth_scene(size: int = 256, seed: int = 0) -> np.ndarray:
    """A clean picture that harmonic filling can restore well: smooth colour ramps and waves."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    phase = rng.uniform(0, 2 * np.pi, 3)
    channels = [0.5 + 0.35 * np.sin(np.pi * (xx * (1 + c) + yy) + phase[c]) for c in range(3)]
    return (np.stack(channels, -1) * 255).astype(np.uint8)


def blob_mask(size: int, centres, radius: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    mask = np.zeros((size, size), bool)
    for cy, cx in centres:
        mask |= (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2
    return mask


def corrupt(clean: np.ndarray, mask: np.ndarray, seed: int = 1) -> np.ndarray:
    """Replace the masked pixels with loud noise: an obvious artifact."""
    rng = np.random.default_rng(seed)
    damaged = clean.copy()
    damaged[mask] = rng.integers(0, 256, (int(mask.sum()), 3), dtype=np.uint8)
    return damaged


class OracleDetector:
    """Detects exactly the pixels that differ from a known clean picture: a real detector
    for a scene whose original is known, used to test the detect-repair loop. It returns
    the runtime's own Detection (built by artifactsdk.postprocess)."""

    THRESHOLDS = Thresholds()

    def __init__(self, clean: np.ndarray, tolerance: int = 24):
        self.clean = clean.astype(np.int16)
        self.tolerance = tolerance
        self.calls = 0

    def decode(self, image):
        from artifactsdk.image_io import load_image

        return load_image(image)

    def detect(self, image):
        from artifactsdk.postprocess import build_detection

        self.calls += 1
        decoded = self.decode(image)
        difference = np.abs(decoded.pixels.astype(np.int16) - self.clean).max(axis=-1)
        probability = (difference > self.tolerance).astype(np.float32)
        return build_detection(decoded, self.THRESHOLDS, [], None, None, probability)
