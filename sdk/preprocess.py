"""Image -> model input tensor, in numpy. The one implementation used by training,
calibration, export validation and the runtime, so they cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class InputSpec:
    height: int
    width: int
    mean: tuple[float, float, float]  # on 0-255 pixel values
    std: tuple[float, float, float]
    colour_order: str = "RGB"
    resize: str = "stretch"
    name: str = "pixels"

    @classmethod
    def from_manifest(cls, entry: dict) -> "InputSpec":
        return cls(height=entry["height"], width=entry["width"], mean=tuple(entry["mean"]),
                   std=tuple(entry["std"]), colour_order=entry["colour_order"],
                   resize=entry["resize"], name=entry["name"])

    def to_manifest(self, **extra) -> dict:
        return {"name": self.name, "height": self.height, "width": self.width,
                "resize": self.resize, "colour_order": self.colour_order,
                "mean": list(self.mean), "std": list(self.std), "layout": "NCHW", **extra}


# ImageNet statistics on 0-255 RGB, as PAL and EfficientNet-Lite use.
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


def resize_rgb(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of an HxWx3 uint8 RGB array (no-op when the size already matches)."""
    if image.shape[0] == height and image.shape[1] == width:
        return image
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))


def normalize(image: np.ndarray, spec: InputSpec) -> np.ndarray:
    """HxWx3 uint8 RGB -> 3xHxW float32, colour order and mean/std applied (written plane
    by plane into one buffer: no full-size temporaries)."""
    pixels = image[..., ::-1] if spec.colour_order == "BGR" else image
    mean = np.asarray(spec.mean, dtype=np.float32)
    inv_std = 1.0 / np.asarray(spec.std, dtype=np.float32)
    chw = np.empty((3, *pixels.shape[:2]), dtype=np.float32)
    for channel in range(3):
        np.subtract(pixels[..., channel], mean[channel], out=chw[channel], dtype=np.float32)
        chw[channel] *= inv_std[channel]
    return chw


def to_tensor(image: np.ndarray, spec: InputSpec) -> np.ndarray:
    """HxWx3 uint8 RGB of any size -> 1x3xHxW float32 at the spec's size."""
    return normalize(resize_rgb(image, spec.height, spec.width), spec)[None]
