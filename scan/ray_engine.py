"""The Ray engine: the same scan as a Ray Data job, on one machine or a cluster.

    read_binary_files(paths) -> map_batches(ScanActor, concurrency=N) -> write_parquet(out)

Each actor loads one `Detector` when it starts and runs the scan's `Scanner` (decode
threads + batched inference) over the batches Ray Data hands it, so the rows are the
ones the local engine writes. Ray Data does the scheduling, back-pressure, retries and
the progress display. `address=None` starts Ray on this machine (local mode);
"auto" or "ray://host:10001" joins an existing cluster, where every node needs
artifactsdk[scale] installed and the inputs and `out` on storage all nodes can reach
(a shared file system, or a URI such as s3://bucket/prefix that pyarrow can open).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from artifactsdk.errors import InvalidInputError
from artifactsdk.image_io import IMAGE_SUFFIXES
from artifactsdk.scan.pipeline import Item, Scanner
from artifactsdk.scan.rows import to_table


IO_TASK_CPUS = 0.25  # reading files and writing Parquet wait on storage, not on the CPU


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None  # None: a local Ray on this machine
    concurrency: int = 1  # actors, each with one Detector
    batch_size: int = 64  # images per map_batches call (the actor batches them again for the models)
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0
    threads: int | None = None  # each actor's inference threads (default: its whole CPUs)


class ScanActor:
    """A Ray Data callable class: one Detector per actor, loaded once."""

    def __init__(self, detector_options: dict, workers: int, batch_size: int, skip: frozenset, streams: int = 1):
        from artifactsdk.detector import Detector

        self.detector = Detector.load(**detector_options)
        self.scanner = Scanner(self.detector, workers, batch_size, skip, streams=streams)

    def __call__(self, batch: dict):
        items = [Item(str(path), lambda data=data: bytes(data)) for path, data in zip(batch["path"], batch["bytes"])]
        return to_table(list(self.scanner.rows(items)))


def scan_ray(paths: list[str], out: str, detector_options: dict, options: RayOptions, *, workers: int = 1,
             batch_size: int = 1, streams: int = 1, skip: frozenset = frozenset()) -> dict[str, float]:
    """Run the scan of `paths` (files, folders (read recursively) or URIs) into `out`;
    returns the seconds spent joining / starting Ray and running the job."""
    import ray

    started = time.perf_counter()
    ray.init(address=options.address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    init_seconds = time.perf_counter() - started
    _check_room(options, ray.cluster_resources().get("CPU", 0.0))
    threads = options.threads or max(1, int(options.cpus_per_actor))
    inputs = ray.data.read_binary_files(paths, include_paths=True, num_cpus=IO_TASK_CPUS,
                                        file_extensions=[suffix.lstrip(".") for suffix in IMAGE_SUFFIXES])
    rows = inputs.map_batches(
        ScanActor, batch_size=options.batch_size, batch_format="numpy", concurrency=options.concurrency,
        num_cpus=options.cpus_per_actor, num_gpus=options.gpus_per_actor or None,
        fn_constructor_kwargs={"detector_options": {"threads": threads, **detector_options}, "workers": workers,
                               "batch_size": batch_size, "skip": skip, "streams": streams})
    started = time.perf_counter()
    rows.write_parquet(out, ray_remote_args={"num_cpus": IO_TASK_CPUS})  # runs the job: actors start, load their Detector, scan, write
    return {"init_seconds": init_seconds, "seconds": time.perf_counter() - started}


def _check_room(options: RayOptions, cluster_cpus: float) -> None:
    """Ray schedules by reserved CPUs: actors that reserve them all leave none for the tasks
    that read the files, and the job waits forever. Refuse that up front."""
    reserved = options.concurrency * options.cpus_per_actor
    if reserved + IO_TASK_CPUS > cluster_cpus:
        raise InvalidInputError(
            f"{options.concurrency} actors x {options.cpus_per_actor:g} CPUs leave no room for the read tasks on "
            f"a cluster of {cluster_cpus:g} CPUs; lower --concurrency or --cpus-per-actor (e.g. 0.75 with "
            "--threads 1: Ray's CPU count is a reservation, the threads are what run).")
