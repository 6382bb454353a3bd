"""`artifactsdk scan PATH... --out RESULTS`: detect over many images into Parquet.

The local engine pipelines one process (decode threads, batched inference, a writer
thread); `--engine ray` runs the same scan on Ray Data. Rows: artifactsdk.scan.rows.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from artifactsdk.bundle import PRECISIONS
from artifactsdk.cli.option_settings import trusted_keys_option
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.progress import Progress
from artifactsdk.runtimes.registry import CHOICES as BACKEND_CHOICES
from artifactsdk.scan.results import ROWS_PER_PART

ENGINES = ("local", "ray")


@click.command("scan")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", required=True,
              help="Results folder (Parquet part files, masks/ and overlays/); with --engine ray also a URI "
                   "(s3://bucket/results).")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True)
@click.option("--recursive", "-r", is_flag=True, help="Search folders (and URI prefixes) recursively.")
@click.option("--resume", is_flag=True, help="Skip images already in --out (same path and content hash).")
@click.option("--mask", is_flag=True, help="Write masks/<hash>.png (white = artifact).")
@click.option("--overlay", is_flag=True, help="Write overlays/<hash>.png (magenta artifacts).")
@click.option("--batch-size", type=click.IntRange(min=1), default=1, show_default=True,
              help="Images per model call. On CPU 1 is usually fastest and smallest (BENCHMARKS.md, "
                   "'Scanning many images'); larger batches are for GPUs.")
@click.option("--workers", type=click.IntRange(min=1),
              help="Decode / preprocess threads (default: half the cores; 1 per actor with --engine ray).")
@click.option("--streams", type=click.IntRange(min=1),
              help="Model calls run side by side, each with --threads threads (default: one per core; "
                   "1 per actor with --engine ray).")
@click.option("--threads", type=click.IntRange(min=1),
              help="Inference threads per stream (default: the cores left to each stream, at least 1; "
                   "with --engine ray: the actor's CPUs).")
@click.option("--bundle", default="default", show_default=True, help="'default' or a bundle directory.")
@trusted_keys_option()
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="auto", show_default=True)
@click.option("--precision", type=click.Choice(PRECISIONS), default="auto", show_default=True)
@click.option("--mode", type=click.Choice(("full", "cascade")), default="full", show_default=True)
@click.option("--reduced-decode", is_flag=True,
              help="Decode files of 4x the models' input side or more at reduced scale (JPEG draft, PIL reduce): "
                   "faster, scores move slightly (differ from detect's); boxes stay in full-image pixels.")
@click.option("--address", help="Ray: an existing cluster ('auto', 'ray://host:10001'); default: local Ray.")
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Ray: actors, each holding one Detector.")
@click.option("--ray-batch-size", type=click.IntRange(min=1), default=128, show_default=True,
              help="Ray: images per map_batches call (BENCHMARKS.md compares sizes).")
@click.option("--cpus-per-actor", type=click.FloatRange(min=0.1), default=1.0, show_default=True)
@click.option("--gpus-per-actor", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option("--rows-per-part", type=click.IntRange(min=1), default=ROWS_PER_PART, show_default=True,
              help="Rows per Parquet file (local engine); a killed scan redoes at most this many.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the run's summary as one JSON object on stdout (processed, flagged, failed, skipped, "
                   "seconds, images_per_s, output; summary.schema.json).")
@click.option("--verbose", is_flag=True, help="Ray: show Ray's own log lines and progress bars.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary line.")
def scan(paths, out, engine, recursive, resume, mask, overlay, batch_size, workers, streams, threads, bundle,
         trusted_keys, backend, precision, mode, reduced_decode, address, concurrency, ray_batch_size, cpus_per_actor,
         gpus_per_actor, rows_per_part, as_json, verbose, quiet) -> None:
    """Scan images (files, folders; URIs with --engine ray) into a Parquet results folder."""
    from artifactsdk.run_summary import emit
    from artifactsdk.scan.ray_engine import RayOptions
    from artifactsdk.scan.results import (check_is_folder, check_results_folder, is_uri, lock_results,
                                          set_aside_unreadable)

    if is_uri(out) and engine != "ray":
        raise click.UsageError(f"--out {out} is a URI: only --engine ray writes to one; the local engine writes "
                               "a local folder.")
    if engine == "ray" and (mask or overlay):
        raise click.UsageError("--mask / --overlay are written by the local engine only.")
    options = {"bundle": bundle, "backend": backend, "precision": precision, "mode": mode,
               "reduced_decode": reduced_decode, "trusted_keys": trusted_keys}
    cores = os.cpu_count() or 1
    try:
        check_is_folder(out)  # before the lock makes the folder
        lock = None if is_uri(out) else lock_results(Path(out))  # one scan at a time writes here
        try:
            check_results_folder(out, resume)
            if resume:
                for message in set_aside_unreadable(out):
                    click.echo(message, err=True)
            if engine == "ray":
                ray_options = RayOptions(address, concurrency, ray_batch_size, cpus_per_actor, gpus_per_actor, threads)
                summary = _run_ray(paths, out, options, ray_options, recursive, workers or 1, batch_size,
                                   streams or 1, resume, verbose)
            else:
                workers, streams = workers or max(1, cores // 2), streams or cores
                summary = _run_local(paths, Path(out), options, threads, recursive, workers, batch_size, streams,
                                     resume, mask, overlay, rows_per_part, quiet)
        finally:
            if lock is not None:
                lock.close()
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    emit(summary, as_json, quiet)
    if summary.processed == 0 and summary.failed:
        sys.exit(1)


def _run_local(paths, out, options, threads, recursive, workers, batch_size, streams, resume, mask, overlay,
               rows_per_part, quiet):
    from artifactsdk.detector import Detector
    from artifactsdk.scan.local import scan_local

    # threads beyond the cores left to inference only contend with the decode workers (and
    # ONNX Runtime's spinning threads waste what they wait for): 2 streams of 1 thread ran
    # 33.4 images/s here, 1 stream of 1 thread 23.5, 1 stream of 2 threads 15.9
    threads = threads or max(1, ((os.cpu_count() or 1) - workers) // streams)
    with Detector.load(threads=threads, **options) as detector, Progress("scan", quiet=quiet) as progress:
        return scan_local(detector, tuple(Path(p) for p in paths), out, recursive=recursive, workers=workers,
                          batch_size=batch_size, resume=resume, mask=mask, overlay=overlay,
                          rows_per_part=rows_per_part, streams=streams, progress=progress)


def _run_ray(paths, out, options, ray_options, recursive, workers, batch_size, streams, resume, verbose):
    from artifactsdk.run_summary import RunSummary
    from artifactsdk.scan.ray_engine import scan_ray
    from artifactsdk.scan.results import done_keys

    skip = frozenset(done_keys(out)) if resume else frozenset()
    run = scan_ray(list(paths), out, options, ray_options, recursive=recursive, workers=workers,
                   batch_size=batch_size, streams=streams, skip=skip, verbose=verbose)
    details = {"engine": "ray", "concurrency": ray_options.concurrency,
               **{key: round(run[key], 3) for key in ("list_seconds", "init_seconds")}}
    return RunSummary(run["processed"], run["flagged"], run["failed"], run["skipped"], run["seconds"], str(out),
                      details)
