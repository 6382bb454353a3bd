"""`artifactsdk fix`: find artifacts, repaint them with zoom-in inpainting, save the results.

Per image: OUT/NAME.png (repaired), with --save-comparison OUT/NAME.comparison.png, and one
JSON line in OUT/fix.jsonl (the before/after record, or the error). A file that cannot be
read is reported and skipped; the exit code is non-zero only when no image was repaired.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from artifactsdk.errors import ArtifactSDKError
from artifactsdk.image_files import OutputNames, collect_inputs
from artifactsdk.progress import Progress

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
@click.option("--backend", default="auto", show_default=True, help="Detector backend.")
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True,
              help="CPU threads for torch (small tensors: more threads only help on an idle CPU).")
@click.option("--recursive", is_flag=True, help="Search folders recursively.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
def fix(paths, out_dir, inpainter, rounds, device, save_comparison, bundle, backend, threads, recursive, quiet):
    """Repaint the artifacts found in PATH... (images or folders of images)."""
    try:
        run_fix(paths, out_dir, inpainter, rounds, device, save_comparison, bundle, backend, threads,
                recursive, quiet)
    except ArtifactSDKError as error:
        raise click.ClickException(str(error)) from error


def run_fix(paths, out_dir: Path, inpainter: str, rounds: int, device: str | None, save_comparison: bool,
            bundle: str, backend: str, threads: int | None, recursive: bool, quiet: bool) -> None:
    from artifactsdk.detector import Detector
    from artifactsdk.rectify.dependencies import prepare_torch
    from artifactsdk.rectify.inpainters import get_inpainter

    torch_device = prepare_torch(device, threads)
    painter = get_inpainter(inpainter)
    detector = Detector.load(bundle=bundle, backend=backend)
    images, failed = collect_inputs(tuple(paths), recursive)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = OutputNames(out_dir)
    started, records = time.perf_counter(), []
    with (out_dir / "fix.jsonl").open("w") as log, Progress("fixing", len(images), quiet) as progress:
        for entry in failed:
            log.write(json.dumps(entry) + "\n")
        for path, relative in images:
            try:
                entry = fix_one(detector, path, names.stem(relative), painter, rounds, torch_device, save_comparison)
            except ArtifactSDKError as error:
                entry = {"source": str(path), "error": str(error), "error_type": type(error).__name__}
                failed.append(entry)
                progress.note(f"{path}: {error}", always=True)
            else:
                records.append(entry)
            log.write(json.dumps(entry) + "\n")
            progress.advance()
    if not quiet:
        click.echo(summary(records, len(failed), time.perf_counter() - started, out_dir), err=True)
    if not records:
        raise click.ClickException(f"no image could be repaired ({len(failed)} failed)")


def fix_one(detector, path: Path, stem: Path, painter, rounds: int, device: str, save_comparison: bool) -> dict:
    from PIL import Image

    from artifactsdk.rectify.comparison import comparison_image
    from artifactsdk.rectify.fix import fix_image

    result = fix_image(detector, path, inpainter=painter, rounds=rounds, device=device)
    output = stem.with_name(stem.name + ".png")
    Image.fromarray(result.image).save(output)
    entry = {"source": str(path), "output": str(output), **result.to_dict()}
    if save_comparison:
        comparison = stem.with_name(stem.name + ".comparison.png")
        comparison_image(result).save(comparison)
        entry["comparison"] = str(comparison)
    return entry


def summary(records: list[dict], failures: int, seconds: float, out_dir: Path) -> str:
    if not records:
        return f"repaired 0 images, {failures} failed"
    before = sum(r["area_before"] for r in records) / len(records)
    after = sum(r["area_after"] for r in records) / len(records)
    return (f"repaired {len(records)} images ({failures} failed) in {seconds:.1f} s "
            f"({seconds / len(records):.2f} s/image); mean artifact area {before * 100:.2f} % -> "
            f"{after * 100:.2f} %; written to {out_dir}")
