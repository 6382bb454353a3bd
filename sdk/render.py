"""Pictures of a detection: the PAL-style magenta overlay and a probability heat map."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from artifactsdk.masks import area_share

MAGENTA = np.array([255, 0, 255], dtype=np.float32)
CAPTION_PAD = 2  # pixels between a caption's text and the edge of its box
MIN_CAPTION_SIZE = 8  # pixels: a caption is shrunk down to this size before it is wrapped

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
    size = max(10, min(image.size) // 40)
    for region in regions:
        x0, y0, x1, y1 = region.box
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=(255, 0, 255), width=line)
        font, lines, (left, top, right, bottom) = caption_layout(caption_text(region), region.box, image.size, size)
        draw.rectangle((left, top, right - 1, bottom - 1), fill=(255, 0, 255))
        line_height = sum(font.getmetrics())
        for n, text in enumerate(lines):
            draw.text((left + CAPTION_PAD, top + CAPTION_PAD + n * line_height), text, fill=(255, 255, 255), font=font)


def caption_text(region) -> str:
    """What the overlay writes at a region: its class and its share, as the caption says it."""
    return f"{region.label_name or 'Artifact'} {area_share(region.area_fraction)} %"


def caption_layout(text: str, box, image_size: tuple[int, int], size: int):
    """The font, lines and background box (left, top, right, bottom) of a caption: above the
    region, else below it, else over its top; moved left, then shrunk (down to
    MIN_CAPTION_SIZE), then wrapped so that it stays inside the image."""
    width, height = image_size
    room = max(1, width - 2 * CAPTION_PAD)
    font = caption_font(size)
    while size > MIN_CAPTION_SIZE and _text_width(font, text) > room:
        size -= 1
        font = caption_font(size)
    lines = _wrapped(text, font, room)
    box_width = max(_text_width(font, line) for line in lines) + 2 * CAPTION_PAD
    box_height = len(lines) * sum(font.getmetrics()) + 2 * CAPTION_PAD
    x0, y0, _, y1 = box
    left = max(0, min(x0, width - box_width))
    if y0 >= box_height:
        top = y0 - box_height
    elif y1 + box_height <= height:
        top = y1
    else:
        top = max(0, min(y0, height - box_height))
    return font, lines, (left, top, left + box_width, top + box_height)


def _text_width(font: ImageFont.ImageFont, text: str) -> int:
    left, _, right, _ = font.getbbox(text)
    return right - min(0, left)


def _wrapped(text: str, font: ImageFont.ImageFont, room: int) -> list[str]:
    """`text` in lines no wider than `room`, broken between words (inside a word too long for a line)."""
    lines: list[str] = []
    for word in text.split(" "):
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and _text_width(font, joined) <= room:
            lines[-1] = joined
            continue
        while _text_width(font, word) > room and len(word) > 1:
            cut = next((n for n in range(len(word) - 1, 1, -1) if _text_width(font, word[:n]) <= room), 1)
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    return lines


def heatmap(probability: np.ndarray, pixels: np.ndarray | None = None, alpha: float = 1.0) -> Image.Image:
    """Colour-mapped probabilities (HxW in [0, 1]); with `pixels`, the map is laid over them
    with opacity `alpha`."""
    index = np.clip(probability * 255.0 + 0.5, 0, 255).astype(np.uint8)
    colours = _LUT[index]
    if pixels is not None:
        colours = np.clip(colours * alpha + pixels.astype(np.float32) * (1 - alpha) + 0.5, 0, 255)
    return Image.fromarray(colours.astype(np.uint8))
