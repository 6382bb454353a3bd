"""`artifactsdk eval-fix`: repair quality on held-out synthetic images with clean originals."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from artifactsdk.cli.detector_options import detector_options, detector_settings
from artifactsdk.detector import Detector
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.rectify.dependencies import prepare_torch
from artifactsdk.rectify.evaluation import evaluate

TARGET_AREA_REDUCTION = 0.70
TARGET_PSNR_GAIN = 3.0


@click.command("eval-fix")
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder written by `artifactsdk synth ... --with-clean`.")
@click.option("--count", type=click.IntRange(1), default=None, help="Images with artifacts to use (default: all).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the result as JSON to this file ('-' for stdout).")
@click.option("--inpainter", "inpainters", multiple=True, default=("builtin",), show_default=True,
              help="Inpainter(s) to measure (repeatable): builtin, patchmatch, restorer, diffusion, telea, "
                   "diffusers:DIR, torchscript:FILE.")
@click.option("--baseline", default="telea", show_default=True,
              help="Inpainter run through the same pipeline for comparison ('none' to skip).")
@click.option("--regions", type=click.Choice(["detected", "truth"]), default="detected", show_default=True,
              help="Repair the detector's regions, or the dataset's true masks (measures the inpainters alone).")
@detector_options(threads={"flags": ("--detector-threads",)})
@click.option("--device", default=None, help="cpu, cuda or cuda:N (default: cuda when available).")
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
              help="CPU threads for torch (small tensors: more threads only help on an idle CPU).")
@click.option("--quiet", is_flag=True, help="No progress and no table.")
def eval_fix(data, count, json_path, inpainters, baseline, regions, device, threads, quiet, **detector):
    """Detected area and PSNR / SSIM inside the true regions, before vs after repair."""
    names = tuple(dict.fromkeys(inpainters + (() if baseline == "none" else (baseline,))))
    show = not quiet and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show:
            sys.stderr.write(f"\reval-fix {done}/{total}\033[K")
            sys.stderr.flush()

    try:
        device = prepare_torch(device, threads)
        loaded = Detector.load(detector_settings(detector)) if regions == "detected" else None
        report = evaluate(data, names, count, loaded, regions, device, on_image=progress)
    except ArtifactSDKError as error:
        raise click.ClickException(str(error)) from error
    if show:
        sys.stderr.write("\r\033[K")
    text = json.dumps(report.to_dict(), indent=2)
    if json_path is not None and str(json_path) == "-":
        click.echo(text)
    elif json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text + "\n")
    if not quiet and str(json_path) != "-":
        click.echo(table(report))


def table(report) -> str:
    """The report as aligned rows, with the issue's targets checked."""
    lines = [f"{report.images} images with artifacts from {report.data} ({report.regions} regions); "
             f"unrepaired inside the true regions: PSNR {report.psnr_before:.2f} dB, SSIM {report.ssim_before:.3f}",
             f"{'inpainter':<14}{'PSNR dB':>9}{'gain':>8}{'SSIM':>8}{'area before':>13}{'area after':>12}"
             f"{'reduced':>9}{'s/image':>9}"]
    for r in report.results:
        area = (f"{r.area_before * 100:>12.2f}%{r.area_after * 100:>11.2f}%{r.area_reduction * 100:>8.1f}%"
                if r.area_reduction is not None else f"{'-':>13}{'-':>12}{'-':>9}")
        lines.append(f"{r.inpainter:<14}{r.psnr_after:>9.2f}{r.psnr_after - report.psnr_before:>+8.2f}"
                     f"{r.ssim_after:>8.3f}{area}{r.seconds_per_image:>9.2f}")
    best = max(report.results, key=lambda r: r.psnr_after)
    lines.append(f"best PSNR: {best.inpainter}; targets: PSNR gain >= {TARGET_PSNR_GAIN} dB "
                 f"{'met' if best.psnr_after - report.psnr_before >= TARGET_PSNR_GAIN else 'NOT met'}"
                 + ("" if best.area_reduction is None else
                    f", area reduction >= {TARGET_AREA_REDUCTION:.0%} "
                    f"{'met' if best.area_reduction >= TARGET_AREA_REDUCTION else 'NOT met'}"))
    return "\n".join(lines)
