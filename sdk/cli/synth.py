"""`artifactsdk synth`: write a synthetic artifact dataset."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click

from artifactsdk import taxonomy
from artifactsdk.cli.option_settings import build_settings, settings_option
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.progress import Progress
from artifactsdk.training.datasets import SynthDataset
from artifactsdk.training.synth import INJECTABLE_CLASSES, SynthConfig
from artifactsdk.training.synth.preview import family_previews, write_preview
from artifactsdk.training.synth.writer import generate_dataset

PREVIEW_SAMPLES = 18


def parse_classes(ctx, param, text: str | None) -> tuple[int, ...]:
    """"0,2,7" or "localized_blur,abnormal_texture" -> class indices (all injectable when empty)."""
    if not text:
        return INJECTABLE_CLASSES
    indices = []
    for item in (part.strip() for part in text.split(",") if part.strip()):
        try:
            index = taxonomy.get(item).index
        except KeyError as exc:
            raise click.BadParameter(str(exc.args[0]), param_hint="--classes") from None
        if index not in INJECTABLE_CLASSES:
            raise click.BadParameter(
                f"class {item!r} cannot be injected; injectable: "
                f"{', '.join(f'{c} ({taxonomy.get(c).key})' for c in INJECTABLE_CLASSES)}",
                param_hint="--classes")
        if index not in indices:
            indices.append(index)
    return tuple(indices)


def setting(path: str, *param_decls: str, **attrs):
    return settings_option(SynthConfig, path, *param_decls, **attrs)


@click.command("synth")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (new, empty, or an earlier synth output, which is replaced).")
@click.option("--count", required=True, type=click.IntRange(min=1), help="Number of images.")
@click.option("--seed", required=True, type=click.IntRange(min=0), help="Seed; same seed, same files.")
@setting("size", "--size", type=click.IntRange(min=64), help="Side of the square images in pixels.")
@setting("classes", "--classes", default=None, callback=parse_classes,
         help="Comma-separated class indices or keys to inject (default: all injectable).")
@setting("photos", "--photos", multiple=True, type=click.Path(exists=True, file_okay=False),
         help="A folder of real photographs to inject artifacts into (repeatable); their clean "
              "crops are the negatives. Without it the bases are bundled sample photos and scenes.")
@setting("camera_effect_fraction", "--camera-effects", type=click.FloatRange(0, 1),
         help="Share of bases given camera effects that are labelled clean (hard negatives: "
              "defocus, motion blur, JPEG, noise, flare, vignetting, exposure, grading).")
@setting("negative_fraction", "--negative-fraction", type=click.FloatRange(0, 1),
         help="Share of images with no artifact.")
@click.option("--with-clean", is_flag=True, help="Also write the clean originals to clean/.")
@click.option("--preview", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Write a contact sheet of the first {PREVIEW_SAMPLES} samples to this PNG.")
@click.option("--preview-families", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write one contact sheet per artifact family (<class>.png) and hard_negatives.png "
                   "to this folder.")
@click.option("--workers", default=None, type=click.IntRange(min=1),
              help="Worker processes (default: the number of CPUs).")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
def synth(out: Path, count: int, seed: int, with_clean: bool, preview: Path | None, preview_families: Path | None,
          workers: int | None, quiet: bool, **settings) -> None:
    """Write COUNT images with injected artifacts, their 0/1 masks and SynArtifact JSONs."""
    config = build_settings(SynthConfig, settings)
    workers = workers or os.cpu_count() or 1
    started = time.perf_counter()
    try:
        with Progress("synth", count, quiet) as bar:
            summary = generate_dataset(out, count, seed, config, with_clean, workers, on_sample=bar.advance)
        if preview is not None:
            dataset = SynthDataset(out)
            write_preview(preview, dataset[:PREVIEW_SAMPLES])
        if preview_families is not None:
            family_previews(preview_families, seed, config)
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    if not quiet:
        seconds = time.perf_counter() - started
        click.echo(json.dumps({**summary.to_dict(), "seconds": round(seconds, 2),
                               "preview": str(preview) if preview else None}, indent=2))
