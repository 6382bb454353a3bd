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
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

from artifactsdk.cli.contact_sheet import DEFAULT_CELL, DEFAULT_COLUMNS, MIN_CELL, SheetBuilder
from artifactsdk.detection import DetectionFailure
from artifactsdk.detector import Detector
from artifactsdk.cli.detector_options import detector_options
from artifactsdk.detector_settings import DetectorSettings
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.image_files import collect_inputs, one_line, same_input
from artifactsdk.image_io import IMAGE_SUFFIXES
from artifactsdk.cli.option_settings import build_settings, settings_option
from artifactsdk.progress import Progress
from artifactsdk.record_schema import safe_text
from artifactsdk.result_folder import MASK_SUFFIX, OVERLAY_SUFFIX, SUMMARY_NAME, ResultFolder
from artifactsdk.run_summary import RunSummary
from artifactsdk.run_summary import emit as emit_summary


@dataclass(frozen=True)
class DetectSettings:
    """What `artifactsdk detect` writes and prints, and the Detector it runs."""

    recursive: bool = False
    out: Path | None = None
    resume: bool = False
    overwrite: bool = False
    as_json: bool = False
    jsonl: bool = False
    overlay: bool = False
    mask: bool = False
    sheet: Path | None = None
    sheet_columns: int = DEFAULT_COLUMNS
    sheet_cell: int = DEFAULT_CELL
    quiet: bool = False
    strict: bool = False
    detector: DetectorSettings = field(default_factory=DetectorSettings)


def setting(name: str, *param_decls: str, **attrs):
    return settings_option(DetectSettings, name, *param_decls, **attrs)



def image_suffixes(overlay: bool, mask: bool) -> tuple[str, ...]:
    return tuple(suffix for suffix, wanted in ((OVERLAY_SUFFIX, overlay), (MASK_SUFFIX, mask)) if wanted)


def image_writers(detection, suffixes: tuple[str, ...]) -> dict:
    """suffix -> a function writing that PNG to an open file."""
    draw = {OVERLAY_SUFFIX: detection.overlay, MASK_SUFFIX: detection.mask_image}
    return {suffix: lambda fh, suffix=suffix: draw[suffix]().save(fh, format="PNG") for suffix in suffixes}


def failure_record(path: Path, exc: Exception) -> dict:
    return DetectionFailure.of(str(path), exc).to_dict()


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
@setting("recursive", "--recursive", "-r", is_flag=True, help="Search folders recursively.")
@setting("out", "--out", type=click.Path(file_okay=False, path_type=Path),
         help="Write <name>.json per image (and overlays / masks) and summary.json here. Existing "
              "results are kept (that image fails) unless --overwrite or --resume.")
@setting("resume", "--resume", is_flag=True, help="With --out: skip images a previous run finished.")
@setting("overwrite", "--overwrite", is_flag=True, help="With --out: replace existing results.")
@setting("as_json", "--json", is_flag=True,
         help="Print one JSON object at the end: the run's summary (processed, flagged, failed, skipped, "
              "seconds, images_per_s, output; summary.schema.json) with every image's record in \"records\".")
@setting("jsonl", "--jsonl", is_flag=True, help="Print one JSON record per line as images finish.")
@setting("overlay", "--overlay", is_flag=True, help="Write <name>.overlay.png (magenta artifacts) into --out.")
@setting("mask", "--mask", is_flag=True, help="Write <name>.mask.png (white = artifact) into --out.")
@setting("sheet", "--sheet", type=click.Path(dir_okay=False, path_type=Path),
         help="Write a contact sheet (every processed image's overlay with its verdict, score and "
              "area) to this PNG.")
@setting("sheet_columns", "--sheet-columns", type=click.IntRange(min=1), help="Tiles per row of the --sheet.")
@setting("sheet_cell", "--sheet-cell", type=click.IntRange(min=MIN_CELL),
         help="Longest side in pixels of each image in the --sheet.")
@detector_options(DetectSettings)
@setting("quiet", "--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@setting("strict", "--strict", is_flag=True, help="Exit non-zero when any image fails.")
def detect(paths, **settings) -> None:
    """Find, name and outline artifacts in images (files or folders)."""
    run = build_settings(DetectSettings, settings)
    check_flags(run)
    out = run.out
    results = ResultFolder(out, "resume" if run.resume else "overwrite" if run.overwrite else "new") if out else None
    items, failures = collect_inputs(paths, run.recursive, results.excluder(paths) if results else None)
    if not items and not failures:
        raise click.UsageError(f"no images found in {', '.join(map(str, paths))} "
                               f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))}; folders need --recursive "
                               "to be searched below their top level).")
    if run.sheet is not None:
        check_sheet_path(run.sheet, items)
    suffixes = image_suffixes(run.overlay, run.mask)
    if results:
        stems = open_results(results, items, suffixes)
    load_start = time.perf_counter()
    try:
        detector = Detector.load(run.detector)
    except ArtifactSDKError as exc:
        if results:
            results.close()
        raise click.ClickException(str(exc)) from exc
    load_seconds = time.perf_counter() - load_start
    # Keeps one small tile per image, not the detections.
    sheet_builder = SheetBuilder(columns=run.sheet_columns, cell=run.sheet_cell) if run.sheet is not None else None
    records: list[dict] = []
    bar = Progress("detect", len(items), run.quiet)

    def emit(record: dict) -> None:
        if "error" in record:
            bar.note(one_line(f"error: {record['error']}"), always=True)
        if run.jsonl:
            click.echo(json.dumps(record))
        elif run.as_json:
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
            sheet_builder.save(run.sheet)
            if not run.quiet:
                click.echo(f"contact sheet: {run.sheet} ({len(sheet_builder)} images)", err=True)
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
    emit_summary(summary, run.as_json, run.quiet, {"records": records} if run.as_json else None)
    if (processed == 0 and skipped == 0) or (run.strict and failures):
        sys.exit(1)


def check_flags(run: DetectSettings) -> None:
    """Refuse flags that contradict each other (a usage error, before anything is read)."""
    if run.as_json and run.jsonl:
        raise click.UsageError("--json and --jsonl are alternatives; choose one.")
    if (run.overlay or run.mask or run.resume or run.overwrite) and run.out is None:
        raise click.UsageError("--overlay, --mask, --resume and --overwrite are about files: give a folder "
                               "with --out DIR.")
    if run.resume and run.overwrite:
        raise click.UsageError("--resume keeps finished results and --overwrite replaces them; choose one.")
