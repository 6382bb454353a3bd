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

from dataclasses import dataclass

from artifactsdk.image_io import IMAGE_SUFFIXES
from artifactsdk.scan.pipeline import Item, Scanner
from artifactsdk.scan.rows import to_table


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None  # None: a local Ray on this machine
    concurrency: int = 1  # actors, each with one Detector
    batch_size: int = 64  # images per map_batches call (the actor batches them again for the models)
    cpus_per_actor: float = 1.0  # also the actor's inference threads
    gpus_per_actor: float = 0.0


class ScanActor:
    """A Ray Data callable class: one Detector per actor, loaded once."""

    def __init__(self, detector_options: dict, workers: int, batch_size: int, skip: frozenset):
        from artifactsdk.detector import Detector

        self.detector = Detector.load(**detector_options)
        self.scanner = Scanner(self.detector, workers, batch_size, skip)

    def __call__(self, batch: dict):
        items = [Item(str(path), lambda data=data: bytes(data)) for path, data in zip(batch["path"], batch["bytes"])]
        return to_table(list(self.scanner.rows(items)))


def scan_ray(paths: list[str], out: str, detector_options: dict, options: RayOptions, *, workers: int = 1,
             batch_size: int = 8, skip: frozenset = frozenset()) -> None:
    """Run the scan of `paths` (files, folders (read recursively) or URIs) into `out`."""
    import ray

    ray.init(address=options.address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    threads = max(1, int(options.cpus_per_actor))
    inputs = ray.data.read_binary_files(paths, include_paths=True,
                                        file_extensions=[suffix.lstrip(".") for suffix in IMAGE_SUFFIXES])
    rows = inputs.map_batches(
        ScanActor, batch_size=options.batch_size, batch_format="numpy", concurrency=options.concurrency,
        num_cpus=options.cpus_per_actor, num_gpus=options.gpus_per_actor or None,
        fn_constructor_kwargs={"detector_options": {"threads": threads, **detector_options}, "workers": workers,
                               "batch_size": batch_size, "skip": skip})
    rows.write_parquet(out)
