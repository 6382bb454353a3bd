"""`artifactsdk detect PATH...`: run the Detector over files and folders.

One record per image (the Detection's to_dict() plus its path; a failure is a record
with "error"), a progress bar on a terminal, a summary at the end. A file that cannot
be read is reported and skipped; the exit code is non-zero only when no image could be
processed, or with --strict when any failed. --sheet tiles every processed image's
overlay into one contact sheet (artifactsdk.contact_sheet).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from artifactsdk.bundle import PRECISIONS
from artifactsdk.contact_sheet import DEFAULT_CELL, DEFAULT_COLUMNS, MIN_CELL, SheetBuilder
from artifactsdk.image_files import OutputNames, collect_inputs, same_input
from artifactsdk.image_io import IMAGE_SUFFIXES
from artifactsdk.progress import Progress
from artifactsdk.runtimes.registry import CHOICES as BACKEND_CHOICES

MODE_CHOICES = ("full", "cascade")


def write_outputs(detection, record: dict, stem: Path, overlay: bool, mask: bool) -> None:
    from PIL import Image

    stem.with_name(stem.name + ".json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if overlay:
        detection.overlay().save(stem.with_name(stem.name + ".overlay.png"))
    if mask:
        Image.fromarray(detection.binary_mask().astype("uint8") * 255).save(stem.with_name(stem.name + ".mask.png"))


def check_sheet_path(sheet: Path, items: list[tuple[Path, Path]]) -> None:
    """Refuse a --sheet that is not a .png or that is one of the input images (by path or
    by file identity: links and other spellings of the same file count)."""
    if sheet.suffix.lower() != ".png":
        raise click.UsageError(f"--sheet writes a PNG: give a file name ending in .png, not {sheet}.")
    path = same_input(sheet, (path for path, _ in items))
    if path is not None:
        raise click.UsageError(f"--sheet {sheet} is one of the input images ({path}); "
                               "choose another file name: outputs never overwrite inputs.")


def human_line(record: dict) -> str:
    if "error" in record:
        return f"{record['source']}: failed ({record['error']})"
    verdict = "artifact" if record["is_artifact"] else "clean"
    line = f"{record['source']}: {verdict} {record['artifact_score']:.2f}"
    if record["labels"]:
        line += f" [{', '.join(record['labels'])}]"
    captions = [region["caption"] for region in record["regions"][:3]]
    return line + (": " + "; ".join(captions) if captions else "")


@click.command("detect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--recursive", "-r", is_flag=True, help="Search folders recursively.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write <name>.json per image (and overlays / masks) and summary.json here.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of records at the end.")
@click.option("--jsonl", is_flag=True, help="Print one JSON record per line as images finish.")
@click.option("--overlay", is_flag=True, help="Write <name>.overlay.png (magenta artifacts) into --out.")
@click.option("--mask", is_flag=True, help="Write <name>.mask.png (white = artifact) into --out.")
@click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a contact sheet (every processed image's overlay with its verdict, score and "
                   "area) to this PNG.")
@click.option("--sheet-columns", type=click.IntRange(min=1), default=DEFAULT_COLUMNS, show_default=True,
              help="Tiles per row of the --sheet.")
@click.option("--sheet-cell", type=click.IntRange(min=MIN_CELL), default=DEFAULT_CELL, show_default=True,
              help="Longest side in pixels of each image in the --sheet.")
@click.option("--bundle", default="default", show_default=True, help="'default' or a bundle directory.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="auto", show_default=True)
@click.option("--precision", type=click.Choice(PRECISIONS), default="auto", show_default=True)
@click.option("--mode", type=click.Choice(MODE_CHOICES), default="full", show_default=True,
              help="cascade: run the segmenter only on images the classifier flags.")
@click.option("--threshold", type=click.FloatRange(0, 1),
              help="artifact_score at which an image is flagged; 0.5 (default) = the models' tuned "
                   "thresholds, lower finds more.")
@click.option("--threads", type=click.IntRange(min=1), help="Inference threads (default: all cores).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.option("--strict", is_flag=True, help="Exit non-zero when any image fails.")
def detect(paths, recursive, out, as_json, jsonl, overlay, mask, sheet, sheet_columns, sheet_cell, bundle, backend,
           precision, mode, threshold, threads, quiet, strict) -> None:
    """Find, name and outline artifacts in images (files or folders)."""
    from artifactsdk.detector import Detector
    from artifactsdk.errors import ArtifactSDKError

    if as_json and jsonl:
        raise click.UsageError("--json and --jsonl are alternatives; choose one.")
    if (overlay or mask) and out is None:
        raise click.UsageError("--overlay and --mask write files: give a folder with --out DIR.")
    items, failures = collect_inputs(paths, recursive)
    if not items and not failures:
        raise click.UsageError(f"no images found in {', '.join(map(str, paths))} "
                               f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))}; folders need --recursive "
                               "to be searched below their top level).")
    if sheet is not None:
        check_sheet_path(sheet, items)
    overrides = {"decision": threshold} if threshold is not None else None
    load_start = time.perf_counter()
    try:
        detector = Detector.load(bundle, backend=backend, precision=precision, threads=threads, mode=mode,
                                 thresholds=overrides)
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    load_seconds = time.perf_counter() - load_start
    names = OutputNames(out) if out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    # Keeps one small tile per image, not the detections.
    sheet_builder = SheetBuilder(columns=sheet_columns, cell=sheet_cell) if sheet is not None else None
    records: list[dict] = []
    bar = Progress("detect", len(items), quiet)

    def emit(record: dict) -> None:
        if "error" in record:
            bar.note(f"error: {record['error']}", always=True)
        if jsonl:
            click.echo(json.dumps(record))
        elif as_json:
            records.append(record)
        elif "error" not in record:
            click.echo(human_line(record))

    for failure in failures:
        emit(failure)
    processed = flagged = 0
    start = time.perf_counter()
    with detector, bar:
        for path, relative in items:
            try:
                detection = detector.detect(path)
            except Exception as exc:  # one bad file must not stop the batch; report it and go on
                # SDK errors name the file already; anything else gets the path and its type.
                reason = str(exc) if isinstance(exc, ArtifactSDKError) else f"{path}: {type(exc).__name__}: {exc}"
                failures.append({"source": str(path), "error": reason, "error_type": type(exc).__name__})
                emit(failures[-1])
            else:
                record = detection.to_dict()
                processed += 1
                flagged += record["is_artifact"]
                if names:
                    write_outputs(detection, record, names.stem(relative), overlay, mask)
                if sheet_builder is not None:
                    sheet_builder.add(relative.as_posix(), detection)
                emit(record)
            bar.advance()
        models = detector.describe()["models"]
    seconds = time.perf_counter() - start
    if as_json:
        click.echo(json.dumps(records, indent=2))
    summary = {"images": processed + len(failures), "processed": processed, "with_artifacts": flagged,
               "failed": len(failures), "seconds": round(seconds, 3), "load_seconds": round(load_seconds, 3),
               "images_per_second": round(processed / seconds, 2) if seconds > 0 else None, "models": models}
    if sheet_builder is not None:
        if len(sheet_builder):
            sheet_builder.save(sheet)
            if not quiet:
                click.echo(f"contact sheet: {sheet} ({len(sheet_builder)} images)", err=True)
        else:
            click.echo("no contact sheet written: no image was processed", err=True)
    if out:
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        used = ", ".join(f"{role} {m['backend']}/{m['precision']}" for role, m in models.items())
        click.echo(f"{summary['images']} images: {processed} processed, {flagged} with artifacts, "
                   f"{len(failures)} failed; {summary['images_per_second']} images/s ({used})", err=True)
    if processed == 0 or (strict and failures):
        sys.exit(1)
