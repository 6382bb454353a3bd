"""`artifactsdk scan PATH... --out RESULTS`: detect over many images into Parquet.

The local engine pipelines one process (decode threads, batched inference, a writer
thread); `--engine ray` runs the same scan on Ray Data. Rows: artifactsdk.scan.rows.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from artifactsdk.detector import Detector
from artifactsdk.cli.detector_options import detector_options
from artifactsdk.detector_settings import DetectorSettings
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.cli.option_settings import build_settings, settings_option
from artifactsdk.progress import Progress
from artifactsdk.run_summary import RunSummary, emit
from artifactsdk.scan.local import scan_local
from artifactsdk.scan.ray_engine import RayOptions, scan_ray
from artifactsdk.scan.results import (ROWS_PER_PART, check_is_folder, check_results_folder, done_keys, is_uri,
                                      lock_results, set_aside_unreadable)

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class ScanSettings:
    """How `artifactsdk scan` reads, runs and writes (either engine), and its Detector."""

    recursive: bool = False
    resume: bool = False
    mask: bool = False
    overlay: bool = False
    batch_size: int = 1
    workers: int | None = None  # default: half the cores (local), 1 per actor (ray)
    streams: int | None = None  # default: one per core (local), 1 per actor (ray)
    rows_per_part: int = ROWS_PER_PART
    ray: RayOptions = field(default_factory=RayOptions)
    detector: DetectorSettings = field(default_factory=DetectorSettings)


def setting(name: str, *param_decls: str, **attrs):
    return settings_option(ScanSettings, name, *param_decls, **attrs)


@click.command("scan")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", required=True,
              help="Results folder (Parquet part files, masks/ and overlays/); with --engine ray also a URI "
                   "(s3://bucket/results).")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True)
@setting("recursive", "--recursive", "-r", is_flag=True, help="Search folders (and URI prefixes) recursively.")
@setting("resume", "--resume", is_flag=True, help="Skip images already in --out (same path and content hash).")
@setting("mask", "--mask", is_flag=True, help="Write masks/<hash>.png (white = artifact).")
@setting("overlay", "--overlay", is_flag=True, help="Write overlays/<hash>.png (magenta artifacts).")
@setting("batch_size", "--batch-size", type=click.IntRange(min=1),
         help="Images per model call. On CPU 1 is usually fastest and smallest (BENCHMARKS.md, "
              "'Scanning many images'); larger batches are for GPUs.")
@setting("workers", "--workers", type=click.IntRange(min=1),
         help="Decode / preprocess threads (default: half the cores; 1 per actor with --engine ray).")
@setting("streams", "--streams", type=click.IntRange(min=1),
         help="Model calls run side by side, each with --threads threads (default: one per core; "
              "1 per actor with --engine ray).")
@detector_options(ScanSettings, threads={
    "help": "Inference threads per stream (default: the cores left to each stream, at least 1; with --engine ray: "
            "the actor's CPUs)."})
@setting("ray.address", "--address", help="Ray: an existing cluster ('auto', 'ray://host:10001'); default: local Ray.")
@setting("ray.concurrency", "--concurrency", type=click.IntRange(min=1), help="Ray: actors, each holding one Detector.")
@setting("ray.batch_size", "--ray-batch-size", type=click.IntRange(min=1),
         help="Ray: images per map_batches call (BENCHMARKS.md compares sizes).")
@setting("ray.cpus_per_actor", "--cpus-per-actor", type=click.FloatRange(min=0.1))
@setting("ray.gpus_per_actor", "--gpus-per-actor", type=click.FloatRange(min=0))
@setting("rows_per_part", "--rows-per-part", type=click.IntRange(min=1),
         help="Rows per Parquet file (local engine); a killed scan redoes at most this many.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the run's summary as one JSON object on stdout (processed, flagged, failed, skipped, "
                   "seconds, images_per_s, output; summary.schema.json).")
@click.option("--verbose", is_flag=True, help="Ray: show Ray's own log lines and progress bars.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary line.")
def scan(paths, out, engine, as_json, verbose, quiet, **settings) -> None:
    """Scan images (files, folders; URIs with --engine ray) into a Parquet results folder."""
    run = build_settings(ScanSettings, settings)
    if is_uri(out) and engine != "ray":
        raise click.UsageError(f"--out {out} is a URI: only --engine ray writes to one; the local engine writes "
                               "a local folder.")
    if engine == "ray" and (run.mask or run.overlay):
        raise click.UsageError("--mask / --overlay are written by the local engine only.")
    try:
        check_is_folder(out)  # before the lock makes the folder
        lock = None if is_uri(out) else lock_results(Path(out))  # one scan at a time writes here
        try:
            check_results_folder(out, run.resume)
            if run.resume:
                for message in set_aside_unreadable(out):
                    click.echo(message, err=True)
            if engine == "ray":
                summary = _run_ray(paths, out, run, verbose)
            else:
                summary = _run_local(paths, Path(out), run, quiet)
        finally:
            if lock is not None:
                lock.close()
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    emit(summary, as_json, quiet)
    if summary.processed == 0 and summary.failed:
        sys.exit(1)


def _run_local(paths, out: Path, run: ScanSettings, quiet: bool) -> RunSummary:
    cores = os.cpu_count() or 1
    workers, streams = run.workers or max(1, cores // 2), run.streams or cores
    # threads beyond the cores left to inference only contend with the decode workers (and
    # ONNX Runtime's spinning threads waste what they wait for): 2 streams of 1 thread ran
    # 33.4 images/s here, 1 stream of 1 thread 23.5, 1 stream of 2 threads 15.9
    threads = run.detector.threads or max(1, (cores - workers) // streams)
    with Detector.load(run.detector, threads=threads) as detector, Progress("scan", quiet=quiet) as progress:
        return scan_local(detector, tuple(Path(p) for p in paths), out, recursive=run.recursive, workers=workers,
                          batch_size=run.batch_size, resume=run.resume, mask=run.mask, overlay=run.overlay,
                          rows_per_part=run.rows_per_part, streams=streams, progress=progress)


def _run_ray(paths, out, run: ScanSettings, verbose: bool) -> RunSummary:
    skip = frozenset(done_keys(out)) if run.resume else frozenset()
    result = scan_ray(list(paths), out, run.detector, run.ray, recursive=run.recursive, workers=run.workers or 1,
                      batch_size=run.batch_size, streams=run.streams or 1, skip=skip, verbose=verbose)
    details = {"engine": "ray", "concurrency": run.ray.concurrency,
               **{key: round(result[key], 3) for key in ("list_seconds", "init_seconds")}}
    return RunSummary(result["processed"], result["flagged"], result["failed"], result["skipped"], result["seconds"],
                      str(out), details)
