"""Contact sheets for judging the synthetic artifacts by eye: each sample twice, as
written and with its mask outlined and its boxes labelled with class keys; one sheet per
artifact family and one of the hard negatives (camera effects, labelled clean)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from artifactsdk import taxonomy
from artifactsdk.training.datasets import Sample
from artifactsdk.training.synth.camera import CAMERA_EFFECTS, apply_camera_effects
from artifactsdk.training.synth.engine import SynthConfig, SynthSample, generate_sample
from artifactsdk.training.synth.sources import clean_image
from artifactsdk.training.synth.text import font

OUTLINE = (255, 0, 255)
_CLASS_COLOURS = ((255, 64, 64), (64, 255, 64), (64, 160, 255), (255, 220, 0), (0, 255, 255),
                  (255, 128, 0), (200, 100, 255))


def contact_sheet(samples: Sequence[Sample], pairs_per_row: int = 3, cell: int = 256) -> Image.Image:
    rows = max(1, -(-len(samples) // pairs_per_row))
    caption_height = 14
    sheet = Image.new("RGB", (2 * cell * pairs_per_row, rows * (cell + caption_height)), (32, 32, 32))
    draw = ImageDraw.Draw(sheet)
    small = font(11)
    for i, sample in enumerate(samples):
        x = (i % pairs_per_row) * 2 * cell
        y = (i // pairs_per_row) * (cell + caption_height)
        sheet.paste(Image.fromarray(sample.image).resize((cell, cell), Image.BILINEAR), (x, y))
        sheet.paste(_overlay(sample, cell), (x + cell, y))
        keys = [taxonomy.get(a.class_index).key for a in sample.annotations or ()] or ["clean"]
        draw.text((x + 2, y + cell + 1), f"{sample.name}: {', '.join(keys)}", font=small,
                  fill=(230, 230, 230))
    return sheet


def write_preview(path: str | Path, samples: Sequence[Sample], **layout) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(samples, **layout).save(path, format="PNG")
    return path


def family_previews(folder: str | Path, seed: int, config: SynthConfig, per_family: int = 6) -> list[Path]:
    """One sheet per injectable class in ``config`` (``<class key>.png``, only that class
    injected) and ``hard_negatives.png`` (each camera effect on a clean base, no mask)."""
    folder = Path(folder)
    written = []
    for class_index in config.classes:
        key = taxonomy.get(class_index).key
        only = replace(config, classes=(class_index,), negative_fraction=0.0, camera_effect_fraction=0.0)
        samples = [_as_sample(f"{key}-{i}", generate_sample(seed, i, only)) for i in range(per_family)]
        written.append(write_preview(folder / f"{key}.png", samples))
    written.append(write_preview(folder / "hard_negatives.png", hard_negative_samples(seed, config)))
    return written


def hard_negative_samples(seed: int, config: SynthConfig) -> list[Sample]:
    """Each camera effect once, on its own clean base: what the models must call clean."""
    samples = []
    for i, name in enumerate(CAMERA_EFFECTS):
        rng = np.random.default_rng([seed, i])
        clean, _ = clean_image(rng, config.size, config.photos)
        image = apply_camera_effects(clean, rng, (name,))
        samples.append(Sample(name, Path(name), image, np.zeros(image.shape[:2], np.uint8), (), clean))
    return samples


def _as_sample(name: str, sample: SynthSample) -> Sample:
    return Sample(name, Path(name), sample.image, sample.mask, sample.annotations, sample.clean)


def _overlay(sample: Sample, cell: int) -> Image.Image:
    height, width = sample.image.shape[:2]
    picture = Image.fromarray(sample.image).resize((cell, cell), Image.BILINEAR)
    pixels = np.asarray(picture).copy()
    if sample.mask is not None and sample.mask.any():
        small = np.asarray(Image.fromarray(sample.mask * 255).resize((cell, cell), Image.NEAREST)) > 0
        edge = small & ~ndimage.binary_erosion(small)
        pixels[edge] = OUTLINE
    picture = Image.fromarray(pixels)
    draw = ImageDraw.Draw(picture)
    sy, sx = cell / height, cell / width
    for annotation in sample.annotations or ():
        colour = _CLASS_COLOURS[annotation.class_index % len(_CLASS_COLOURS)]
        x0, y0, x1, y1 = annotation.box
        draw.rectangle([x0 * sx, y0 * sy, x1 * sx - 1, y1 * sy - 1], outline=colour)
        label = taxonomy.get(annotation.class_index).key
        draw.text((x0 * sx + 2, y0 * sy + 1), label, font=font(10), fill=colour,
                  stroke_width=1, stroke_fill=(0, 0, 0))
    return picture
