"""`artifactsdk rank PATH...`: order generated images from fewest to most artifacts.

Prints one line per image, best first; --csv writes the table of every image (the failed
ones with their error), --top K prints and copies the K best, --copy-to DIR copies them
there as RANK-NAME, never over a file. A file that cannot be read is reported once and
skipped; the exit code is non-zero only when no image could be ranked.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click

from artifactsdk.cli.detector_options import detector_options, detector_settings
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.feedback.ranking import copy_ranked, rank_images, write_csv
from artifactsdk.image_files import collect_inputs, same_input
from artifactsdk.image_io import IMAGE_SUFFIXES
from artifactsdk.progress import Progress
from artifactsdk.reward import ArtifactReward
from artifactsdk.run_summary import RunSummary, emit


@contextmanager
def _warnings_off(logger_name: str):
    """rank prints each failure itself; the reward's warning about it would say it twice."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@click.command("rank")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--by", type=click.Choice(("score", "area")), default="score", show_default=True,
              help="score: the image-level artifact score; area: the share of the image marked as artifact.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write rank, source, reward, artifact_score, area, labels, error of every image to this CSV.")
@click.option("--top", type=click.IntRange(min=1), help="Print and copy only the K best images (the CSV has all).")
@click.option("--copy-to", type=click.Path(file_okay=False, path_type=Path),
              help="Copy the kept images here as RANK-NAME (001-name.png ...); refuses a name already there.")
@click.option("--recursive", "-r", is_flag=True, help="Search folders recursively.")
@detector_options()
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object instead of the lines: the run's summary (summary.schema.json) with the "
                   "ranking in details.ranking.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def rank(paths, by, csv_path, top, copy_to, recursive, batch_size, as_json, quiet, **detector):
    """Rank images (files or folders) from fewest to most artifacts."""

    items, failures = collect_inputs(paths, recursive)
    if not items and not failures:
        raise click.UsageError(f"no images found in {', '.join(map(str, paths))} "
                               f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))}).")
    inputs = [path for path, _ in items]
    if csv_path is not None and same_input(csv_path, inputs) is not None:
        raise click.UsageError(f"--csv {csv_path} is one of the input images; outputs never overwrite inputs.")
    for failure in failures:
        click.echo(f"error: {failure['error']}", err=True)
    try:
        reward = ArtifactReward(detector_settings(detector), reduce=by, batch_size=batch_size)
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    started = time.perf_counter()
    with reward, Progress("rank", len(items), quiet) as bar, _warnings_off(ArtifactReward.__module__):
        ranked, failed = rank_images(reward, items, bar)
    seconds = time.perf_counter() - started
    failures += failed
    kept = ranked[:top] if top else ranked
    for place, image in enumerate([] if as_json else kept, start=1):
        labels = f" [{', '.join(image.labels)}]" if image.labels else ""
        click.echo(f"{place:>4}  {image.reward:.4f}  {image.source}  (score {image.artifact_score:.3f}, "
                   f"area {image.area * 100:.2f} %){labels}")
    if csv_path is not None:
        write_csv(csv_path, ranked, failures)
    if copy_to is not None:
        try:
            copied = copy_ranked(kept, copy_to, inputs)
        except FileExistsError as exc:
            raise click.BadParameter(str(exc), param_hint="--copy-to") from exc
        if not quiet:
            click.echo(f"copied {len(copied)} images to {copy_to}", err=True)
    output = copy_to or csv_path
    ranking = [image.row(place) for place, image in enumerate(kept, start=1)]
    emit(RunSummary(len(ranked), sum(image.is_artifact for image in ranked), len(failures), 0, seconds,
                    str(output) if output else None, {"by": by, **({"ranking": ranking} if as_json else {})}),
         as_json, quiet)
    if not ranked:
        sys.exit(1)
