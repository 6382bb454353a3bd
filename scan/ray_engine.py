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

import importlib.util
import logging
import socket
import time
import warnings
from dataclasses import dataclass

from artifactsdk.detector import Detector
from artifactsdk.errors import InvalidInputError
from artifactsdk.scan.pipeline import Item, Scanner
from artifactsdk.scan.results import count_rows, drop_replaced_rows, part_stem, provenance, schema_with, utc_stamp
from artifactsdk.scan.rows import to_table
from artifactsdk.scan.sources import list_sources, read_source

WRITE_TASK_CPUS = 0.25  # writing Parquet waits on storage, not on the CPU
ADDRESS_TIMEOUT = 10.0  # seconds to wait for a cluster's port to answer
DEFAULT_PORTS = {"ray://": 10001, "": 6379}  # Ray Client, the GCS


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
        self.detector = Detector.load(**detector_options)
        self.filesystems = filesystems
        self.scanner = Scanner(self.detector, workers, batch_size, skip, streams=streams)

    def __call__(self, batch: dict):
        rows = [dict(zip(batch, values)) for values in zip(*batch.values())]
        items = [Item(str(row["path"]), lambda row=row: read_source(self.filesystems, row)) for row in rows]
        return to_table(list(self.scanner.rows(items)))


def scan_ray(paths: list[str], out: str, detector_options: dict, options: RayOptions, *,
             recursive: bool = False, workers: int = 1, batch_size: int = 1, streams: int = 1,
             skip: frozenset = frozenset(), verbose: bool = False) -> dict:
    """Run the scan of `paths` (files, folders or URIs) into `out`; returns the rows this run
    wrote (processed, flagged, failed), the images skipped, and the seconds spent listing the
    files, joining / starting Ray and running the job."""
    check_address(options.address)

    # the bundle (and its signature) checked here, before any cluster work; its description
    # goes into every part file
    with Detector.load(**detector_options, threads=1) as detector:
        schema = schema_with(provenance(detector.describe()))
    import ray
    from ray.data import ActorPoolStrategy

    started = time.perf_counter()
    sources = list_sources(paths, recursive, out)
    listed = time.perf_counter()
    _start_ray(options.address, verbose)
    init_seconds = time.perf_counter() - listed
    _check_room(options, ray.cluster_resources().get("CPU", 0.0))
    threads = options.threads or max(1, int(options.cpus_per_actor))
    with warnings.catch_warnings():  # Ray 2.60 calls max_restarts a deprecated "ray_remote_args"; it has no other way
        warnings.simplefilter("ignore", DeprecationWarning)
        # max_restarts=0: an actor that dies fails the job (--resume continues it) instead of being
        # restarted, which Ray would announce on stderr for every actor of every scan
        rows = ray.data.from_items(sources.rows).map_batches(
            ScanActor, batch_size=options.batch_size, batch_format="numpy",
            compute=ActorPoolStrategy(size=options.concurrency),
            num_cpus=options.cpus_per_actor, num_gpus=options.gpus_per_actor or None, max_restarts=0,
            fn_constructor_kwargs={"detector_options": {**detector_options, "threads": threads},
                                   "filesystems": sources.filesystems, "workers": workers, "batch_size": batch_size,
                                   "skip": skip, "streams": streams})
    started_job = time.perf_counter()
    stamp = utc_stamp()
    # this runs the job: the actors start, load their Detector, read, scan; the rows are written
    rows.write_parquet(out, ray_remote_args={"num_cpus": WRITE_TASK_CPUS}, filename_provider=_part_names(stamp),
                       schema=schema)
    seconds = time.perf_counter() - started_job
    drop_replaced_rows(out)
    counts = count_rows(out, f"part-{stamp}-")
    return {**counts, "skipped": len(sources.rows) - counts["processed"] - counts["failed"], "seconds": seconds,
            "list_seconds": listed - started, "init_seconds": init_seconds}


def check_address(address: str | None) -> None:
    """Refuse, within ADDRESS_TIMEOUT, a cluster address nothing answers at, and a Ray Client
    address (ray://) without Ray Client installed; None and "auto" are Ray's to resolve."""
    if address in (None, "auto", "local"):
        return
    scheme = "ray://" if address.startswith("ray://") else ""
    if scheme and importlib.util.find_spec("grpc") is None:
        raise InvalidInputError(f"--address {address}: joining a cluster through Ray Client (ray://) needs it "
                                "installed: pip install 'ray[client]'.")
    host, _, port = address[len(scheme):].rpartition(":")
    if not host:
        host, port = port, str(DEFAULT_PORTS[scheme])
    if not port.isdigit():
        raise InvalidInputError(f"--address {address}: expected HOST:PORT, 'ray://HOST:PORT' or 'auto'.")
    try:
        socket.create_connection((host, int(port)), timeout=ADDRESS_TIMEOUT).close()
    except OSError as exc:
        raise InvalidInputError(f"--address {address}: nothing answers at {host}:{port} within "
                                f"{ADDRESS_TIMEOUT:g} s ({exc.strerror or exc}); is the cluster running, and is "
                                "the address right?") from None


def _start_ray(address: str | None, verbose: bool) -> None:
    """ray.init, with Ray's own logging and progress bars off unless `verbose`."""
    import ray

    quiet = logging.WARNING if verbose else logging.ERROR
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(quiet)
    ray.data.DataContext.get_current().enable_progress_bars = verbose
    try:
        ray.init(address=address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=verbose,
                 logging_level=quiet)
    except ConnectionError as exc:
        raise InvalidInputError(f"--address {address}: cannot join the Ray cluster ({exc}).") from None


def _part_names(stamp: str):
    """Ray's file names for the parts: the local engine's pattern (part_stem), then "-<n>.parquet"."""
    from ray.data.datasource import FilenameProvider

    class PartNames(FilenameProvider):
        def get_filename_for_task(self, write_uuid: str, task_index: int) -> str:
            return part_stem(f"{stamp}-{write_uuid}", task_index)

    return PartNames()


def _check_room(options: RayOptions, cluster_cpus: float) -> None:
    """Ray schedules by reserved CPUs: actors that reserve them all leave none for the tasks
    that write the results, and the job waits forever. Refuse that up front."""
    reserved = options.concurrency * options.cpus_per_actor
    if reserved + WRITE_TASK_CPUS > cluster_cpus:
        raise InvalidInputError(
            f"{options.concurrency} actors x {options.cpus_per_actor:g} CPUs leave no room for the write tasks on "
            f"a cluster of {cluster_cpus:g} CPUs; lower --concurrency or --cpus-per-actor (e.g. 0.75 with "
            "--threads 1: Ray's CPU count is a reservation, the threads are what run).")
