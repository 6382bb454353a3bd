"""Pictures of a detection: the PAL-style magenta overlay and a probability heat map."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

MAGENTA = np.array([255, 0, 255], dtype=np.float32)

# A perceptually ordered dark-to-bright ramp (black, purple, red, orange, pale yellow).
_RAMP = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float32)
_LUT = np.stack([np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_RAMP)), _RAMP[:, c])
                 for c in range(3)], axis=1).round().astype(np.uint8)


def caption_font(size: int) -> ImageFont.ImageFont:
    """The font captions are drawn in: Pillow's built-in font at `size` pixels (needs no
    font file, so it exists everywhere). A new object per call: FreeType faces are not
    meant to be shared between threads."""
    return ImageFont.load_default(size=size)


def overlay(pixels: np.ndarray, artifact: np.ndarray, regions=(), alpha: float = 0.55) -> Image.Image:
    """Tint the `artifact` pixels (HxW bool) magenta and outline each region with its caption."""
    weight = (alpha * artifact.astype(np.float32))[..., None]
    tinted = pixels.astype(np.float32) * (1.0 - weight) + MAGENTA * weight
    image = Image.fromarray(np.clip(tinted + 0.5, 0, 255).astype(np.uint8))
    if regions:
        _outline(image, regions)
    return image


def _outline(image: Image.Image, regions) -> None:
    draw = ImageDraw.Draw(image)
    line = max(1, min(image.size) // 256)
    font = caption_font(max(10, min(image.size) // 40))
    for region in regions:
        x0, y0, x1, y1 = region.box
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=(255, 0, 255), width=line)
        text = f"{region.label_name or 'artifact'} {region.area_fraction * 100:.0f}%"
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        ty = y0 - (bottom - top) - 4 if y0 >= (bottom - top) + 4 else y1 + 1
        draw.rectangle((x0, ty, x0 + right - left + 4, ty + bottom - top + 4), fill=(255, 0, 255))
        draw.text((x0 + 2 - left, ty + 2 - top), text, fill=(255, 255, 255), font=font)


def heatmap(probability: np.ndarray, pixels: np.ndarray | None = None, alpha: float = 1.0) -> Image.Image:
    """Colour-mapped probabilities (HxW in [0, 1]); with `pixels`, the map is laid over them
    with opacity `alpha`."""
    index = np.clip(probability * 255.0 + 0.5, 0, 255).astype(np.uint8)
    colours = _LUT[index]
    if pixels is not None:
        colours = np.clip(colours * alpha + pixels.astype(np.float32) * (1 - alpha) + 0.5, 0, 255)
    return Image.fromarray(colours.astype(np.uint8))
