"""`artifactsdk fix`: find artifacts, repaint them with zoom-in inpainting, save the results.

What it writes is in artifactsdk.rectify.batch; the exit code is non-zero only when no
image was repaired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from artifactsdk.detector import Detector
from artifactsdk.cli.detector_options import detector_options
from artifactsdk.detector_settings import DetectorSettings
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.image_files import collect_inputs
from artifactsdk.cli.option_settings import build_settings, settings_option
from artifactsdk.progress import Progress
from artifactsdk.run_summary import emit

INPAINTER_HELP = "builtin | patchmatch | restorer | diffusion | telea | diffusers:DIR | torchscript:FILE"


@dataclass(frozen=True)
class FixSettings:
    """How `artifactsdk fix` repairs, and the Detector that finds what to repair."""

    inpainter: str = "builtin"
    rounds: int = 1
    device: str | None = None
    threads: int = 1  # torch's CPU threads
    save_comparison: bool = False
    detector: DetectorSettings = field(default_factory=DetectorSettings)


def setting(name: str, *param_decls: str, **attrs):
    return settings_option(FixSettings, name, *param_decls, **attrs)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the repaired images, comparisons and fix.jsonl.")
@setting("inpainter", "--inpainter", help=INPAINTER_HELP)
@setting("rounds", "--rounds", type=click.IntRange(1, 10),
         help="Detect-and-repair rounds; stops early when the artifact area stops shrinking.")
@setting("device", "--device", help="cpu, cuda or cuda:N (default: cuda when available, else cpu).")
@setting("save_comparison", "--save-comparison", is_flag=True,
         help="Also write NAME.comparison.png: input with overlay | repaired | repaired with overlay.")
@detector_options(FixSettings, bundle={"help": "Detector bundle: 'default' or a path."},
                  threads={"flags": ("--detector-threads",)})
@setting("threads", "--threads", type=click.IntRange(1),
         help="CPU threads for torch (small tensors: more threads only help on an idle CPU).")
@click.option("--recursive", is_flag=True, help="Search folders recursively.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the run's summary as one JSON object on stdout (summary.schema.json).")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
def fix(paths, out_dir, recursive, as_json, quiet, **settings):
    """Repaint the artifacts found in PATH... (images or folders of images)."""
    from artifactsdk.rectify.batch import fix_files
    from artifactsdk.rectify.dependencies import prepare_torch
    from artifactsdk.rectify.inpainters import get_inpainter

    repair = build_settings(FixSettings, settings)
    try:
        torch_device = prepare_torch(repair.device, repair.threads)
        painter = get_inpainter(repair.inpainter)
        detector = Detector.load(repair.detector)
        images, unreadable = collect_inputs(tuple(paths), recursive)
        with Progress("fixing", len(images), quiet) as progress:
            run = fix_files(detector, images, unreadable, out_dir, painter, repair.rounds, torch_device,
                            repair.save_comparison, progress)
    except ArtifactSDKError as error:
        raise click.ClickException(str(error)) from error
    summary = run.summary()
    emit(summary, as_json, quiet)
    if run.records and not quiet:
        click.echo(f"mean artifact area {summary.details['mean_area_before'] * 100:.2f} % -> "
                   f"{summary.details['mean_area_after'] * 100:.2f} %", err=True)
    if not run.records:
        raise click.ClickException(f"no image could be repaired ({len(run.failed)} failed)")
