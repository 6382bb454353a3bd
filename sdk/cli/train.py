"""`artifactsdk train segmenter|classifier`: train a default model on a dataset folder."""

from __future__ import annotations

import json
from pathlib import Path

import click

from artifactsdk.errors import ArtifactSDKError
from artifactsdk.training.arrays import classification_arrays, segmentation_arrays
from artifactsdk.training.datasets import load_samples


@click.command("train")
@click.argument("model", type=click.Choice(["segmenter", "classifier"]))
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Dataset folder: `artifactsdk synth` output, PAL or SynArtifact-1K layout.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: the checkpoint, last/ for --resume, train_log.jsonl.")
@click.option("--epochs", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--lr", default=1e-3, show_default=True, type=click.FloatRange(min=0, min_open=True))
@click.option("--crop", default=256, show_default=True, type=click.IntRange(min=32),
              help="Segmenter: side of the random training crops. Classifier: its input side.")
@click.option("--input-size", default=512, show_default=True, type=click.IntRange(min=32),
              help="Segmenter: the inference input side stored in the checkpoint.")
@click.option("--val-fraction", default=0.1, show_default=True, type=click.FloatRange(0, 0.5),
              help="Share of the data held out to tune thresholds.")
@click.option("--min-class-support", default=5, show_default=True, type=click.IntRange(min=1),
              help="Classifier: train a class only with at least this many labelled examples; "
                   "the others stay zero-shot.")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(min=1),
              help="Torch CPU threads. On a busy 2-core machine one is much faster than two (OpenMP "
                   "threads spin-wait on each other); on an idle one two help. Results depend on the count.")
@click.option("--no-imagenet", is_flag=True, help="Start the encoder from random weights.")
@click.option("--init", "init", type=click.Path(exists=True, file_okay=False), default=None,
              help="Start from this checkpoint's weights (fine-tune the shipped model or continue a run).")
@click.option("--encoder-from", type=click.Path(exists=True, file_okay=False), default=None,
              help="After the usual start, copy the encoder of this checkpoint (e.g. the trained segmenter "
                   "into the classifier: its features already respond to artifacts).")
@click.option("--resume", is_flag=True, help="Continue after the last finished epoch in OUT/last.")
@click.option("--quiet", is_flag=True, help="No progress and no per-epoch lines.")
def train(model: str, data: Path, out: Path, epochs: int, seed: int, batch_size: int, lr: float, crop: int,
          input_size: int, val_fraction: float, min_class_support: int, threads: int, no_imagenet: bool,
          init: str | None, encoder_from: str | None, resume: bool, quiet: bool) -> None:
    """Train the default MODEL (segmenter or classifier) on the CPU; deterministic by --seed."""
    import torch

    # imports torch: only when this runs
    from artifactsdk.training.train import TrainOptions, train_classifier, train_segmenter

    torch.set_num_threads(threads)
    options = TrainOptions(epochs=epochs, seed=seed, batch_size=batch_size, lr=lr, crop=crop,
                           input_size=input_size, val_fraction=val_fraction,
                           min_class_support=min_class_support, imagenet=not no_imagenet, init=init,
                           encoder_from=encoder_from, resume=resume, quiet=quiet)
    try:
        samples = load_samples(data, quiet)
        if model == "segmenter":
            result = train_segmenter(segmentation_arrays(samples, crop), out, options)
        else:
            result = train_classifier(classification_arrays(samples, crop), out, options)
    except (ArtifactSDKError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not quiet:
        config = json.loads((result.checkpoint / "config.json").read_text())
        click.echo(f"wrote {result.checkpoint} (thresholds {json.dumps(config['thresholds'])})")
