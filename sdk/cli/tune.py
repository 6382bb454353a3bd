"""`artifactsdk tune`: fit the image-level score and the thresholds on real images
(artifactsdk.training.image_score) and write tuned copies of both checkpoints."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click

from artifactsdk.cli.option_settings import build_settings, settings_option
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.postprocess import DEFAULT_IMAGE_SCORE
from artifactsdk.training.arrays import class_targets, split_indices
from artifactsdk.training.datasets import open_dataset
from artifactsdk.training.real_data import image_files, read_ratings
from artifactsdk.training.tuning_options import TuningOptions


@dataclass(frozen=True)
class TuneSettings:
    """How `artifactsdk tune` reads its inputs and what it tunes, besides the fit itself (`tuning`)."""

    mos_column: str = "mos_quality"
    val_fraction: float = 0.1
    score_encoder: bool = True
    stage_statistics: bool = True
    scene_statistics: bool = False
    evidence_map: bool = True  # where a flagged image's score comes from: its explanation
    keep_segmenter: bool = False
    tuning: TuningOptions = field(default_factory=TuningOptions)


def setting(path: str, *param_decls: str, **attrs):
    return settings_option(TuneSettings, path, *param_decls, **attrs)


@click.command("tune")
@click.option("--checkpoint", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder holding the trained classifier/ and segmenter/ checkpoints.")
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The synthetic training data (artifactsdk synth output) the models learned from.")
@click.option("--photos", "photos", multiple=True, required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of clean real photographs (repeatable).")
@click.option("--mos-csv", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ratings of generated images: columns name, prompt and the MOS column (higher = better).")
@click.option("--images", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The folder holding the rated images.")
@setting("mos_column", "--mos-column")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: classifier/, segmenter/ and tuning.json.")
@setting("val_fraction", "--val-fraction", type=click.FloatRange(0, 0.5, min_open=True),
         help="The share of --data the trainer held out (with the same --seed): those images tie the "
              "head to the synthetic labels and set the class thresholds.")
@setting("tuning.seed", "--seed", type=click.IntRange(min=0),
         help="The seed the models were trained with (it picks the same validation split).")
@setting("tuning.input_size", "--classifier-input", type=click.IntRange(min=32),
         help="Run the classifier at this input side from now on (default: as trained).")
@setting("tuning.ridge_alphas", "--ridge-alpha", multiple=True, type=click.FloatRange(min=0, min_open=True),
         help="A ridge strength to try for the image score (repeatable); the one that ranks a "
              "left-out generator best on leave-one-generator-out folds is kept.")
@setting("score_encoder", "--score-encoder/--shared-encoder",
         help="The image score reads an encoder of its own, frozen at its ImageNet weights, whose "
              "features rank a generator left out of the fit far better than the fine-tuned one "
              "the classes read (MODEL_CARD); --shared-encoder reads the classes' encoder.")
@setting("stage_statistics", "--stage-statistics/--no-stage-statistics",
         help="The image score also reads the channel means and deviations of the encoder's "
              "feature maps at strides 4-32, next to the pooled head features.")
@setting("scene_statistics", "--scene-statistics/--no-scene-statistics",
         help="The image score also reads natural-scene statistics of the whole image (BRISQUE's "
              "MSCN moments, computed inside the model), next to the pooled deep features.")
@setting("evidence_map", "--evidence-map/--no-evidence-map",
         help="The tuned classifier also outputs its evidence map (the score per 32-pixel cell "
              "whose mean is the image score), which the runtime adds to a flagged image's mask.")
@setting("keep_segmenter", "--keep-segmenter", is_flag=True,
         help="Tune the classifier only: the segmenter keeps its thresholds and its weight in "
              "artifact_score (for a segmenter tuned before and not retrained since); only the "
              "classifier is written.")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(min=1), help="Torch CPU threads.")
@click.option("--quiet", is_flag=True, help="No progress and no summary.")
def tune(checkpoint: Path, data: Path, photos: tuple[Path, ...], mos_csv: Path, images: Path, out: Path,
         threads: int, quiet: bool, **settings) -> None:
    """Fit the image-level artifact score on rated images and raise the thresholds to
    what clean photographs reach; tuning.json reports the leave-one-generator-out folds
    that chose the fit."""
    import numpy as np
    import torch

    # imports torch: only when this runs
    from artifactsdk.models import load_checkpoint, save_checkpoint, with_score_parts
    from artifactsdk.training.image_score import (RealImages, choose_segmenter_weight, read_images,
                                                  segmenter_image_scores, tune_classifier, tune_segmenter)

    torch.set_num_threads(threads)
    if out.resolve() == checkpoint.resolve():
        raise click.BadParameter("must differ from --checkpoint (inputs are never overwritten)", param_hint="--out")
    tune_settings = build_settings(TuneSettings, settings)
    options = tune_settings.tuning
    try:
        ratings = read_ratings(mos_csv, tune_settings.mos_column)
        present = [r for r in ratings if (images / r.name).is_file()]
        if not present:
            raise click.ClickException(f"none of the {len(ratings)} images named in {mos_csv} is in {images}")
        synth = open_dataset(data)
        skipped: list[str] = []
        synth_samples = [synth[int(i)] for i in split_indices(len(synth), tune_settings.val_fraction, options.seed)[1]]
        targets = [class_targets(sample) for sample in synth_samples]
        photo_images, _ = read_images([p for folder in photos for p in image_files(folder)], "photographs", quiet,
                                      skipped)
        rated_images, readable = read_images([images / r.name for r in present], "rated images", quiet, skipped)
        real = RealImages(
            synth=[s.image for s in synth_samples],
            synth_classes=np.stack([classes for classes, _, _ in targets]),
            photos=photo_images, rated=rated_images, ratings=[present[i] for i in readable])
        report = {"skipped": skipped, "rated_images": len(real.ratings), "synth_images": len(synth_samples)}
        classifier, classifier_config = load_checkpoint(checkpoint / "classifier")
        classifier = with_score_parts(classifier, classifier_config, tune_settings.evidence_map,
                                      tune_settings.scene_statistics, tune_settings.stage_statistics,
                                      tune_settings.score_encoder)
        report["classifier"], rated_probability = tune_classifier(classifier, classifier_config, real, options, quiet)
        tuned = [("classifier", classifier, classifier_config)]
        if not tune_settings.keep_segmenter:
            segmenter, segmenter_config = load_checkpoint(checkpoint / "segmenter")
            report["segmenter"] = tune_segmenter(segmenter, segmenter_config, real.photos[1::2], options, quiet)
            rated_scores, _ = segmenter_image_scores(segmenter, segmenter_config, real.rated,
                                                     "segmenter on rated images", quiet)
            choice = choose_segmenter_weight(rated_probability, classifier_config["thresholds"]["artifact"],
                                             rated_scores, segmenter_config["thresholds"]["image"], real.ratings)
            segmenter_config["image_score"] = {**segmenter_config.get("image_score", DEFAULT_IMAGE_SCORE),
                                               "weight": choice["weight"]}
            report["segmenter"]["image_score_weight"] = choice
            tuned.append(("segmenter", segmenter, segmenter_config))
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    for name, model, config in tuned:
        config.pop("format_version", None)
        config["tuning"] = {"options": asdict(options), "mos_csv": mos_csv.name, "photos": [p.name for p in photos]}
        save_checkpoint(model, config, out / name)
    (out / "tuning.json").write_text(json.dumps(report, indent=2) + "\n")
    if not quiet:
        click.echo(json.dumps({"classifier": report["classifier"]["thresholds"],
                               "leave_one_generator_out": report["classifier"]["leave_one_generator_out"],
                               **({"segmenter": report["segmenter"]["thresholds"],
                                   "segmenter_weight": report["segmenter"]["image_score_weight"]}
                                  if "segmenter" in report else {}),
                               "skipped": len(skipped)}, indent=2))
