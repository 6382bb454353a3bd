"""`artifactsdk train segmenter|classifier`: train a default model on a dataset folder."""

from __future__ import annotations

import json
from pathlib import Path

import click

from artifactsdk.cli.option_settings import build_settings, settings_option
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.training.arrays import classification_arrays, segmentation_arrays
from artifactsdk.training.datasets import load_samples
from artifactsdk.training.train_options import TrainOptions


def setting(path: str, *param_decls: str, **attrs):
    return settings_option(TrainOptions, path, *param_decls, **attrs)


@click.command("train")
@click.argument("model", type=click.Choice(["segmenter", "classifier"]))
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Dataset folder: `artifactsdk synth` output, PAL or SynArtifact-1K layout.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: the checkpoint, last/ for --resume, train_log.jsonl.")
@setting("epochs", "--epochs", type=click.IntRange(min=1))
@setting("seed", "--seed", type=click.IntRange(min=0))
@setting("batch_size", "--batch-size", type=click.IntRange(min=1))
@setting("lr", "--lr", type=click.FloatRange(min=0, min_open=True))
@setting("crop", "--crop", type=click.IntRange(min=32),
         help="Segmenter: side of the random training crops. Classifier: its input side.")
@setting("input_size", "--input-size", type=click.IntRange(min=32),
         help="Segmenter: the inference input side stored in the checkpoint.")
@setting("val_fraction", "--val-fraction", type=click.FloatRange(0, 0.5),
         help="Share of the data held out to tune thresholds.")
@setting("min_class_support", "--min-class-support", type=click.IntRange(min=1),
         help="Classifier: train a class only with at least this many labelled examples; "
              "the others stay zero-shot.")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(min=1),
              help="Torch CPU threads. On a busy 2-core machine one is much faster than two (OpenMP "
                   "threads spin-wait on each other); on an idle one two help. Results depend on the count.")
@setting("imagenet", "--no-imagenet", is_flag=True, flag_value=False,
         help="Start the encoder from random weights.")
@setting("init", "--init", type=click.Path(exists=True, file_okay=False),
         help="Start from this checkpoint's weights (fine-tune the shipped model or continue a run).")
@setting("encoder_from", "--encoder-from", type=click.Path(exists=True, file_okay=False),
         help="After the usual start, copy the encoder of this checkpoint (e.g. the trained segmenter "
              "into the classifier: its features already respond to artifacts).")
@setting("resume", "--resume", is_flag=True, help="Continue after the last finished epoch in OUT/last.")
@setting("quiet", "--quiet", is_flag=True, help="No progress and no per-epoch lines.")
def train(model: str, data: Path, out: Path, threads: int, **settings) -> None:
    """Train the default MODEL (segmenter or classifier) on the CPU; deterministic by --seed."""
    import torch

    # imports torch: only when this runs
    from artifactsdk.training.train import train_classifier, train_segmenter

    torch.set_num_threads(threads)
    options = build_settings(TrainOptions, settings)
    try:
        samples = load_samples(data, options.quiet)
        if model == "segmenter":
            result = train_segmenter(segmentation_arrays(samples, options.crop), out, options)
        else:
            result = train_classifier(classification_arrays(samples, options.crop), out, options)
    except (ArtifactSDKError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not options.quiet:
        config = json.loads((result.checkpoint / "config.json").read_text())
        click.echo(f"wrote {result.checkpoint} (thresholds {json.dumps(config['thresholds'])})")
