"""The recipe that makes the shipped weights, as one command:

    python -m artifactsdk.training.recipe --work /work/runs/recipe \
        --photos PHOTOS/train --heldout-photos PHOTOS/val --ratings AGIQA [--heldout]

1. ``artifactsdk synth`` writes the training set (seed 1, 4000 images of 512x512): the
   engine's artifacts injected into crops of the real photographs in ``--photos``, a
   third of the images left clean, 40 % of the bases given camera effects that are
   labelled clean (hard negatives);
2. the segmenter trains (5 epochs of 256-pixel crops, mirrored at random), then 4 more
   at a third of the learning rate (synthetic held-out IoU 0.363 -> 0.415 at the
   trainer's threshold);
3. the classifier trains with its encoder started from the segmenter's, whose
   features already respond to artifacts (on the first recipe's data its validation
   loss after two epochs was 0.78 against 0.90 from the ImageNet start), on whole
   images at 256, then 2 more epochs at 512, the side it runs at;
4. ``artifactsdk tune`` gives the classifier its score encoder (ImageNet's, frozen: a
   fine-tuned encoder's features ranked a generator left out of the fit far worse,
   MODEL_CARD) and fits the image score on the training part of the rated images in
   ``--ratings`` (a folder with mos.csv and images/, split by prompt): ridge regression of
   the opinion on that encoder's pooled features and feature-map statistics, its
   strength chosen on leave-one-generator-out folds; then it raises the thresholds to what
   the clean photographs reach; its synthetic images (for the class thresholds) are a set
   of their own (seed 2, 800 images, half of them used), never trained on;
5. both tuned checkpoints are written as fp16 safetensors into the artifactsdk-weights package (weights/).
The thread counts are part of the recipe: torch's CPU kernels add up in a different
order with a different count, so the same seed gives the same weights only with them.
With ``--heldout`` it then makes a held-out synthetic set (a seed never used for
training, bases from ``--heldout-photos``) and evaluates the shipped weights on it, on
the held-out photographs and on the held-out part of the rated images.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import click

from artifactsdk.models import load_checkpoint, save_checkpoint
from artifactsdk.models.checkpoint import shipped_weights
from artifactsdk.training.real_data import read_ratings, split_by_prompt, write_ratings
from artifactsdk.training.recipe_sets import (CAMERA_EFFECTS, HELDOUT_COUNT, HELDOUT_SEED, NEGATIVE_FRACTION,
                                              RATINGS_HELDOUT_FRACTION, SIZE, TRAIN_COUNT, TRAIN_SEED, TUNE_COUNT,
                                              TUNE_FRACTION, TUNE_SEED)

CLASSIFIER_RUN_SIZE = 512  # trained at 256 then 512, run (and its image score fitted) at 512
SEGMENTER_ARGS = ["--epochs", "5", "--batch-size", "8", "--crop", "256", "--input-size", "512", "--lr", "1e-3",
                  "--threads", "2", "--seed", str(TRAIN_SEED)]
CLASSIFIER_ARGS = ["--epochs", "3", "--batch-size", "16", "--crop", "256", "--lr", "1e-3", "--threads", "2",
                   "--seed", str(TRAIN_SEED)]
# The second stages continue from the first (--init), as they were run for this release
# (seed 0 for the segmenter's: its validation split, which sets only its trainer thresholds).
SEGMENTER_REFINE_ARGS = ["--epochs", "4", "--batch-size", "8", "--crop", "256", "--input-size", "512",
                         "--lr", "3e-4", "--threads", "1", "--seed", "0"]
CLASSIFIER_REFINE_ARGS = ["--epochs", "2", "--batch-size", "8", "--crop", "512", "--lr", "3e-4", "--threads", "1",
                          "--seed", str(TRAIN_SEED)]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "artifactsdk.cli", *args]


def synth_settings(seed: int, count: int, photos: Path) -> dict:
    return {"seed": seed, "count": count, "size": SIZE, "photos": [str(photos.resolve())],
            "camera_effect_fraction": CAMERA_EFFECTS, "negative_fraction": NEGATIVE_FRACTION}


def synth_done(out: Path, settings: dict) -> bool:
    """True when ``out`` already holds the synth output of exactly these settings."""
    meta = out / "synth.json"
    if not meta.is_file():
        return False
    written = json.loads(meta.read_text())
    return all(written.get(key) == value for key, value in settings.items())


def make_synth(out: Path, seed: int, count: int, photos: Path) -> None:
    settings = synth_settings(seed, count, photos)
    if not synth_done(out, settings):
        subprocess.run(cli("synth", "--out", str(out), "--count", str(count), "--seed", str(seed),
                           "--size", str(SIZE), "--photos", settings["photos"][0],
                           "--camera-effects", str(CAMERA_EFFECTS), "--negative-fraction", str(NEGATIVE_FRACTION),
                           "--workers", "2", "--quiet"), check=True)


def split_ratings(ratings: Path, work: Path) -> tuple[Path, Path]:
    """(train, held-out) ratings CSVs of the rated set, split by prompt."""
    train, heldout = split_by_prompt(read_ratings(ratings / "mos.csv"), RATINGS_HELDOUT_FRACTION)
    return write_ratings(work / "ratings-train.csv", train), write_ratings(work / "ratings-heldout.csv", heldout)


def ship(checkpoint: Path, destination: Path) -> None:
    """Copy a trained checkpoint into the package as fp16 safetensors."""
    import torch

    model, config = load_checkpoint(checkpoint)
    config.pop("format_version", None)
    config["training"] = {**config.get("training", {}), "recipe": "python -m artifactsdk.training.recipe",
                          "data": {"synth_seed": TRAIN_SEED, "count": TRAIN_COUNT, "size": SIZE,
                                   "camera_effect_fraction": CAMERA_EFFECTS,
                                   "negative_fraction": NEGATIVE_FRACTION}}
    save_checkpoint(model, config, destination, dtype=torch.float16)


@click.command()
@click.option("--work", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Scratch folder for the data and the fp32 checkpoints (outside the repository).")
@click.option("--photos", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Real photographs for the synthetic bases and the clean negatives (e.g. photos/train).")
@click.option("--heldout-photos", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Other real photographs, never trained on: bases of the held-out set, clean-photo eval.")
@click.option("--ratings", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Rated generated images: a folder with mos.csv and images/ (e.g. agiqa3k-dev).")
@click.option("--ship-to", default=shipped_weights, show_default="the artifactsdk-weights package", type=click.Path(file_okay=False, path_type=Path))
@click.option("--heldout", is_flag=True, help="Also make the held-out sets and evaluate the shipped weights.")
def main(work: Path, photos: Path, heldout_photos: Path, ratings: Path, ship_to: Path, heldout: bool) -> None:
    started = time.perf_counter()
    data = work / "train-data"
    make_synth(data, TRAIN_SEED, TRAIN_COUNT, photos)
    click.echo(f"data ready after {time.perf_counter() - started:.0f}s")
    stages = (("segmenter", "segmenter-base", SEGMENTER_ARGS),
              ("segmenter", "segmenter", [*SEGMENTER_REFINE_ARGS, "--init", str(work / "segmenter-base")]),
              ("classifier", "classifier-base", [*CLASSIFIER_ARGS, "--encoder-from", str(work / "segmenter-base")]),
              ("classifier", "classifier", [*CLASSIFIER_REFINE_ARGS, "--init", str(work / "classifier-base")]))
    for model, out, args in stages:
        subprocess.run(cli("train", model, "--data", str(data), "--out", str(work / out), "--resume", *args), check=True)
        click.echo(f"{out} trained after {time.perf_counter() - started:.0f}s")
    train_ratings, heldout_ratings = split_ratings(ratings, work)
    make_synth(work / "tune-data", TUNE_SEED, TUNE_COUNT, photos)
    subprocess.run(cli("tune", "--checkpoint", str(work), "--data", str(work / "tune-data"), "--photos", str(photos),
                       "--mos-csv", str(train_ratings), "--images", str(ratings / "images"),
                       "--out", str(work / "tuned"), "--seed", str(TUNE_SEED), "--val-fraction", str(TUNE_FRACTION),
                       "--classifier-input", str(CLASSIFIER_RUN_SIZE), "--quiet"), check=True)
    click.echo(f"tuned on real images after {time.perf_counter() - started:.0f}s")
    for name in ("segmenter", "classifier"):
        ship(work / "tuned" / name, ship_to / name)
    click.echo(f"shipped weights to {ship_to} after {time.perf_counter() - started:.0f}s")
    if heldout:
        make_synth(work / "heldout", HELDOUT_SEED, HELDOUT_COUNT, heldout_photos)
        subprocess.run(cli("eval", "--checkpoint", str(ship_to), "--data", str(work / "heldout"),
                           "--json", str(work / "eval.json"), "--threads", "2"), check=True)


if __name__ == "__main__":
    main()
