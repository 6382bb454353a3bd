"""Accuracy of each benchmarked configuration on a held-out synthetic set.

The images come from the synthetic engine with the training recipe's held-out seed
(training uses seed 1, calibration seed 0), so the benchmark scores the same kind of
images as the model card. Each configuration's runner is wrapped by the export
accuracy gate's own predictor and scorer, so every backend and precision is scored
by the same code and the same metrics as `artifactsdk eval` and the export gate.
"""

from __future__ import annotations

from dataclasses import replace

from artifactsdk.export.accuracy_gate import score
from artifactsdk.export.bundle_eval import scoring_config
from artifactsdk.export.heldout import synthetic_heldout
from artifactsdk.preprocess import InputSpec
from artifactsdk.runtimes.base import Backend
from artifactsdk.training.predict import image_predictor
from artifactsdk.training.recipe_sets import HELDOUT_SEED as HELD_OUT_SEED
from artifactsdk.training.recipe_sets import SIZE as HELD_OUT_IMAGE_SIZE


def held_out_samples(count: int, size: int = HELD_OUT_IMAGE_SIZE, seed: int = HELD_OUT_SEED) -> tuple:
    """`count` synthetic images with masks and class boxes, `size` x `size`."""
    return synthetic_heldout(count, seed, size).samples


def evaluate_runner(role: str, runner: Backend, model: dict, image_shape: tuple[int, int, int], samples) -> dict:
    """The `artifactsdk eval` metrics of one loaded configuration, the model fed at
    `image_shape` (C, H, W) as in the timing."""

    spec = replace(InputSpec.from_manifest(model["input"]), height=image_shape[1], width=image_shape[2])
    predict = image_predictor(role, runner.run_batch, spec, model["outputs"])
    return score(role, predict, scoring_config(model), samples)
