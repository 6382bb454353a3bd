"""The Ray engine: the same scan as a Ray Data job, on one machine or a cluster.

    from_items(the files, listed on the driver) -> map_batches(ScanActor, N actors) -> write_parquet(out)

Each actor loads one `Detector` when it starts and runs the scan's `Scanner` (read and
decode threads + batched inference) over the batches of file names Ray Data hands it,
so the rows are the ones the local engine writes. The actors read the files themselves
(artifactsdk.scan.sources says why). Ray Data does the scheduling, back-pressure, retries
and the progress display. `address=None` starts Ray on this machine (local mode);
"auto" or "ray://host:10001" joins an existing cluster, where every node needs
artifactsdk[scale] installed and the inputs and `out` on storage all nodes can reach
(a shared file system, or a URI such as s3://bucket/prefix that pyarrow can open).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from artifactsdk.errors import InvalidInputError
from artifactsdk.scan.pipeline import Item, Scanner
from artifactsdk.scan.rows import to_table
from artifactsdk.scan.sources import list_sources, read_source

WRITE_TASK_CPUS = 0.25  # writing Parquet waits on storage, not on the CPU


@dataclass(frozen=True)
class RayOptions:
    """The command's --address, --concurrency, --ray-batch-size, --cpus-per-actor,
    --gpus-per-actor and --threads (their defaults are the command's)."""

    address: str | None  # None: a local Ray on this machine
    concurrency: int  # actors, each with one Detector
    batch_size: int  # images per map_batches call (the actor batches them again for the models)
    cpus_per_actor: float
    gpus_per_actor: float
    threads: int | None  # each actor's inference threads (None: its whole CPUs)


class ScanActor:
    """A Ray Data callable class: one Detector per actor, loaded once."""

    def __init__(self, detector_options: dict, filesystems: tuple, workers: int, batch_size: int, skip: frozenset,
                 streams: int = 1):
        from artifactsdk.detector import Detector

        self.detector = Detector.load(**detector_options)
        self.filesystems = filesystems
        self.scanner = Scanner(self.detector, workers, batch_size, skip, streams=streams)

    def __call__(self, batch: dict):
        rows = [dict(zip(batch, values)) for values in zip(*batch.values())]
        items = [Item(str(row["path"]), lambda row=row: read_source(self.filesystems, row)) for row in rows]
        return to_table(list(self.scanner.rows(items)))


def scan_ray(paths: list[str], out: str, detector_options: dict, options: RayOptions, *,
             recursive: bool = False, workers: int = 1, batch_size: int = 1, streams: int = 1,
             skip: frozenset = frozenset()) -> dict[str, float]:
    """Run the scan of `paths` (files, folders or URIs) into `out`; returns the seconds
    spent listing the files, joining / starting Ray and running the job."""
    import ray
    from ray.data import ActorPoolStrategy

    started = time.perf_counter()
    sources = list_sources(paths, recursive)
    listed = time.perf_counter()
    ray.init(address=options.address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    init_seconds = time.perf_counter() - listed
    _check_room(options, ray.cluster_resources().get("CPU", 0.0))
    threads = options.threads or max(1, int(options.cpus_per_actor))
    rows = ray.data.from_items(sources.rows).map_batches(
        ScanActor, batch_size=options.batch_size, batch_format="numpy",
        compute=ActorPoolStrategy(size=options.concurrency),
        num_cpus=options.cpus_per_actor, num_gpus=options.gpus_per_actor or None,
        fn_constructor_kwargs={"detector_options": {"threads": threads, **detector_options},
                               "filesystems": sources.filesystems, "workers": workers, "batch_size": batch_size,
                               "skip": skip, "streams": streams})
    started_job = time.perf_counter()
    # this runs the job: the actors start, load their Detector, read, scan; the rows are written
    rows.write_parquet(out, ray_remote_args={"num_cpus": WRITE_TASK_CPUS})
    return {"list_seconds": listed - started, "init_seconds": init_seconds,
            "seconds": time.perf_counter() - started_job}


def _check_room(options: RayOptions, cluster_cpus: float) -> None:
    """Ray schedules by reserved CPUs: actors that reserve them all leave none for the tasks
    that write the results, and the job waits forever. Refuse that up front."""
    reserved = options.concurrency * options.cpus_per_actor
    if reserved + WRITE_TASK_CPUS > cluster_cpus:
        raise InvalidInputError(
            f"{options.concurrency} actors x {options.cpus_per_actor:g} CPUs leave no room for the write tasks on "
            f"a cluster of {cluster_cpus:g} CPUs; lower --concurrency or --cpus-per-actor (e.g. 0.75 with "
            "--threads 1: Ray's CPU count is a reservation, the threads are what run).")
