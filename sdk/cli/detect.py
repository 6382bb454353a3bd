"""`artifactsdk detect PATH...`: run the Detector over files and folders.

One record per image (the Detection's to_dict() plus its path; a failure is a record
with "error"), a progress bar on a terminal, a summary at the end. A file that cannot
be read is reported and skipped; the exit code is non-zero only when no image could be
processed, or with --strict when any failed; 2 for a usage error. --sheet tiles every
processed image's overlay into one contact sheet (artifactsdk.cli.contact_sheet). --out
writes through artifactsdk.result_folder: atomic files, never over an input, existing
results kept unless --overwrite, --resume skips finished images.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import click

from artifactsdk.bundle import PRECISIONS
from artifactsdk.cli.contact_sheet import DEFAULT_CELL, DEFAULT_COLUMNS, MIN_CELL, SheetBuilder
from artifactsdk.detection import DetectionFailure
from artifactsdk.detector import MODES
from artifactsdk.errors import ArtifactSDKError, InvalidInputError
from artifactsdk.image_files import collect_inputs, one_line, safe_text, same_input
from artifactsdk.image_io import IMAGE_SUFFIXES
from artifactsdk.limits import max_threads, unit_interval
from artifactsdk.cli.option_settings import BundleArgument, trusted_keys_option
from artifactsdk.progress import Progress
from artifactsdk.result_folder import MASK_SUFFIX, OVERLAY_SUFFIX, SUMMARY_NAME, ResultFolder
from artifactsdk.run_summary import RunSummary
from artifactsdk.run_summary import emit as emit_summary
from artifactsdk.runtimes.registry import CHOICES as BACKEND_CHOICES



class UnitFloat(click.ParamType):
    """A finite number in [0, 1] (click's FloatRange lets NaN through)."""

    name = "number in [0, 1]"

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except ValueError:
            self.fail(f"{value!r} is not a number; give a finite number in [0, 1].", param, ctx)
        try:
            return unit_interval(param.opts[0] if param else "value", number)
        except InvalidInputError as exc:
            self.fail(str(exc), param, ctx)


def image_suffixes(overlay: bool, mask: bool) -> tuple[str, ...]:
    return tuple(suffix for suffix, wanted in ((OVERLAY_SUFFIX, overlay), (MASK_SUFFIX, mask)) if wanted)


def image_writers(detection, suffixes: tuple[str, ...]) -> dict:
    """suffix -> a function writing that PNG to an open file."""
    draw = {OVERLAY_SUFFIX: detection.overlay, MASK_SUFFIX: detection.mask_image}
    return {suffix: lambda fh, suffix=suffix: draw[suffix]().save(fh, format="PNG") for suffix in suffixes}


def failure_record(path: Path, exc: Exception) -> dict:
    return {key: safe_text(value) for key, value in DetectionFailure.of(str(path), exc).to_dict().items()}


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
    """One line per image, whatever its file name holds."""
    if "error" in record:
        return one_line(f"{record['source']}: failed ({record['error']})")
    verdict = "artifact" if record["is_artifact"] else "clean"
    line = f"{record['source']}: {verdict} {record['artifact_score']:.2f}"
    if record["labels"]:
        line += f" [{', '.join(record['labels'])}]"
    captions = [region["caption"] for region in record["regions"][:3]]
    return one_line(line + (": " + "; ".join(captions) if captions else ""))


def open_results(results: ResultFolder, items: list[tuple[Path, Path]], suffixes: tuple[str, ...]) -> dict:
    """Open (and lock) the --out folder and name each image's result, the same names every
    run; earlier results in the way are refused here, before the models load."""
    try:
        results.open([path for path, _ in items], suffixes)
    except (OSError, ArtifactSDKError) as exc:
        raise click.ClickException(f"cannot write to --out {results.root}: {exc}") from exc
    stems = {path: results.names.name(relative) for path, relative in items}
    existing = results.existing_result(stems.values(), suffixes)
    if existing is not None:
        results.close()
        raise click.UsageError(f"--out {results.root} already holds results ({safe_text(str(existing))}); pass "
                               "--resume to skip finished images or --overwrite to replace them.")
    return stems


@click.command("detect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--recursive", "-r", is_flag=True, help="Search folders recursively.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write <name>.json per image (and overlays / masks) and summary.json here. Existing "
                   "results are kept (that image fails) unless --overwrite or --resume.")
@click.option("--resume", is_flag=True, help="With --out: skip images a previous run finished.")
@click.option("--overwrite", is_flag=True, help="With --out: replace existing results.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object at the end: the run's summary (processed, flagged, failed, skipped, "
                   "seconds, images_per_s, output; summary.schema.json) with every image's record in \"records\".")
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
@click.option("--bundle", default="default", show_default=True, type=BundleArgument(),
              help="'default' or a bundle directory.")
@trusted_keys_option()
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="auto", show_default=True)
@click.option("--precision", type=click.Choice(PRECISIONS), default="auto", show_default=True)
@click.option("--mode", type=click.Choice(MODES), default="full", show_default=True,
              help="cascade: run the segmenter only on images the classifier flags.")
@click.option("--threshold", type=UnitFloat(),
              help="artifact_score at which an image is flagged; 0.5 (default) = the models' tuned "
                   "thresholds, lower finds more.")
@click.option("--threads", type=click.IntRange(1, max_threads()),
              help=f"Inference threads, at most {max_threads()} here (default: all cores).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.option("--strict", is_flag=True, help="Exit non-zero when any image fails.")
def detect(paths, recursive, out, resume, overwrite, as_json, jsonl, overlay, mask, sheet, sheet_columns, sheet_cell,
           bundle, trusted_keys, backend, precision, mode, threshold, threads, quiet, strict) -> None:
    """Find, name and outline artifacts in images (files or folders)."""
    from artifactsdk.detector import Detector

    if as_json and jsonl:
        raise click.UsageError("--json and --jsonl are alternatives; choose one.")
    if (overlay or mask or resume or overwrite) and out is None:
        raise click.UsageError("--overlay, --mask, --resume and --overwrite are about files: give a folder "
                               "with --out DIR.")
    if resume and overwrite:
        raise click.UsageError("--resume keeps finished results and --overwrite replaces them; choose one.")
    results = ResultFolder(out, "resume" if resume else "overwrite" if overwrite else "new") if out else None
    items, failures = collect_inputs(paths, recursive, results.excluder(paths) if results else None)
    if not items and not failures:
        raise click.UsageError(f"no images found in {', '.join(map(str, paths))} "
                               f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))}; folders need --recursive "
                               "to be searched below their top level).")
    if sheet is not None:
        check_sheet_path(sheet, items)
    suffixes = image_suffixes(overlay, mask)
    if results:
        stems = open_results(results, items, suffixes)
    overrides = {"decision": threshold} if threshold is not None else None
    load_start = time.perf_counter()
    try:
        detector = Detector.load(bundle, backend=backend, precision=precision, threads=threads, mode=mode,
                                 thresholds=overrides, trusted_keys=trusted_keys)
    except ArtifactSDKError as exc:
        if results:
            results.close()
        raise click.ClickException(str(exc)) from exc
    load_seconds = time.perf_counter() - load_start
    # Keeps one small tile per image, not the detections.
    sheet_builder = SheetBuilder(columns=sheet_columns, cell=sheet_cell) if sheet is not None else None
    records: list[dict] = []
    bar = Progress("detect", len(items), quiet)

    def emit(record: dict) -> None:
        if "error" in record:
            bar.note(one_line(f"error: {record['error']}"), always=True)
        if jsonl:
            click.echo(json.dumps(record))
        elif as_json:
            records.append(record)
        elif "error" not in record:
            click.echo(human_line(record))

    for failure in failures:
        emit(failure)
    processed = flagged = skipped = 0
    start = time.perf_counter()
    with detector, bar:
        for path, relative in items:
            if results and results.is_finished(path):
                skipped += 1
                bar.advance()
                continue
            try:  # one bad file or one failed write must not stop the batch; report it and go on
                detection = detector.detect(path)
                record = {**detection.to_dict(), "source": safe_text(str(path))}
                if results:
                    results.write(path, stems[path], image_writers(detection, suffixes), record)
            except Exception as exc:
                failures.append(failure_record(path, exc))
                emit(failures[-1])
            else:
                processed += 1
                flagged += record["is_artifact"]
                if sheet_builder is not None:
                    sheet_builder.add(safe_text(relative.as_posix()), detection)
                emit(record)
            bar.advance()
        models = detector.describe()["models"]
    summary = RunSummary(processed, flagged, len(failures), skipped, time.perf_counter() - start,
                         str(out) if out else None, {"load_seconds": round(load_seconds, 3), "models": models})
    if sheet_builder is not None:
        if len(sheet_builder):
            sheet_builder.save(sheet)
            if not quiet:
                click.echo(f"contact sheet: {sheet} ({len(sheet_builder)} images)", err=True)
        else:
            click.echo("no contact sheet written: no image was processed", err=True)
    if results:
        try:
            results.write_summary(summary.to_dict())
        except OSError as exc:
            failures.append(failure_record(out / SUMMARY_NAME, exc))
            emit(failures[-1])
            summary = replace(summary, failed=len(failures))
        finally:
            results.close()
    emit_summary(summary, as_json, quiet, {"records": records} if as_json else None)
    if (processed == 0 and skipped == 0) or (strict and failures):
        sys.exit(1)
