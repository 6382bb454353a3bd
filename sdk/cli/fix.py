"""`artifactsdk fix`: find artifacts, repaint them with zoom-in inpainting, save the results.

What it writes is in artifactsdk.rectify.batch; the exit code is non-zero only when no
image was repaired.
"""

from __future__ import annotations

from pathlib import Path

import click

from artifactsdk.errors import ArtifactSDKError
from artifactsdk.image_files import collect_inputs
from artifactsdk.cli.option_settings import trusted_keys_option
from artifactsdk.progress import Progress
from artifactsdk.run_summary import emit

INPAINTER_HELP = "builtin | patchmatch | restorer | diffusion | telea | diffusers:DIR | torchscript:FILE"


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the repaired images, comparisons and fix.jsonl.")
@click.option("--inpainter", default="builtin", show_default=True, help=INPAINTER_HELP)
@click.option("--rounds", default=1, show_default=True, type=click.IntRange(1, 10),
              help="Detect-and-repair rounds; stops early when the artifact area stops shrinking.")
@click.option("--device", default=None, help="cpu, cuda or cuda:N (default: cuda when available, else cpu).")
@click.option("--save-comparison", is_flag=True,
              help="Also write NAME.comparison.png: input with overlay | repaired | repaired with overlay.")
@click.option("--bundle", default="default", show_default=True, help="Detector bundle: 'default' or a path.")
@trusted_keys_option()
@click.option("--backend", default="auto", show_default=True, help="Detector backend.")
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
              help="CPU threads for torch (small tensors: more threads only help on an idle CPU).")
@click.option("--recursive", is_flag=True, help="Search folders recursively.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the run's summary as one JSON object on stdout (summary.schema.json).")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
def fix(paths, out_dir, inpainter, rounds, device, save_comparison, bundle, trusted_keys, backend, threads, recursive,
        as_json, quiet):
    """Repaint the artifacts found in PATH... (images or folders of images)."""
    from artifactsdk.detector import Detector
    from artifactsdk.rectify.batch import fix_files
    from artifactsdk.rectify.dependencies import prepare_torch
    from artifactsdk.rectify.inpainters import get_inpainter

    try:
        torch_device = prepare_torch(device, threads)
        painter = get_inpainter(inpainter)
        detector = Detector.load(bundle=bundle, backend=backend, trusted_keys=trusted_keys)
        images, unreadable = collect_inputs(tuple(paths), recursive)
        with Progress("fixing", len(images), quiet) as progress:
            run = fix_files(detector, images, unreadable, out_dir, painter, rounds, torch_device, save_comparison,
                            progress)
    except ArtifactSDKError as error:
        raise click.ClickException(str(error)) from error
    summary = run.summary()
    emit(summary, as_json, quiet)
    if run.records and not quiet:
        click.echo(f"mean artifact area {summary.details['mean_area_before'] * 100:.2f} % -> "
                   f"{summary.details['mean_area_after'] * 100:.2f} %", err=True)
    if not run.records:
        raise click.ClickException(f"no image could be repaired ({len(run.failed)} failed)")
