"""The local engine: one process, a `Scanner` over the files, rows to the background writer."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from artifactsdk.image_files import collect_inputs
from artifactsdk.progress import Progress
from artifactsdk.scan.pipeline import Item, MediaWriter, Scanner
from artifactsdk.scan.results import ROWS_PER_PART, ResultsWriter, done_keys
from artifactsdk.scan.sources import source_name


@dataclass(frozen=True)
class ScanSummary:
    images: int  # rows written by this run
    processed: int
    with_artifacts: int
    failed: int
    skipped: int  # already in the results (--resume)
    seconds: float

    @property
    def images_per_second(self) -> float | None:
        return round(self.processed / self.seconds, 2) if self.seconds > 0 else None

    def to_dict(self) -> dict:
        return {**asdict(self), "seconds": round(self.seconds, 3), "images_per_second": self.images_per_second}


def _reader(path: Path):
    return lambda: path.read_bytes()


def scan_local(detector, paths: tuple[Path, ...], out: Path, *, recursive: bool = False, workers: int = 2,
               batch_size: int = 1, resume: bool = False, mask: bool = False, overlay: bool = False,
               rows_per_part: int = ROWS_PER_PART, streams: int = 1, progress: Progress | None = None) -> ScanSummary:
    """Scan the images in `paths` into the results folder `out` (see artifactsdk.scan.results)."""
    files, missing = collect_inputs(paths, recursive)
    skip = done_keys(out) if resume else set()
    writer = ResultsWriter(out, rows_per_part)
    media = MediaWriter(out, mask, overlay) if (mask or overlay) else None
    progress = progress or Progress(enabled=False)
    progress.total = len(files) + len(missing)
    counts = {"processed": 0, "with_artifacts": 0, "failed": 0}
    started = time.perf_counter()
    try:
        for failure in missing:
            if (failure["source"], None) not in skip:  # a missing path has no content hash
                writer.add(failure)
                counts["failed"] += 1
        items = (Item(source_name(path), _reader(path)) for path, _ in files)
        with Scanner(detector, workers, batch_size, skip, media, streams) as scanner:
            for row in scanner.rows(items):
                writer.add(row)
                if row.get("error"):
                    counts["failed"] += 1
                    progress.note(f"error: {row['error']}", always=True)
                else:
                    counts["processed"] += 1
                    counts["with_artifacts"] += bool(row["is_artifact"])
                done = sum(counts.values()) - counts["with_artifacts"] + scanner.skipped
                rate = counts["processed"] / max(time.perf_counter() - started, 1e-9)
                progress.update(done, f"{rate:.1f} images/s")
            skipped = scanner.skipped
    finally:
        writer.close()
    return ScanSummary(images=writer.written, skipped=skipped, seconds=time.perf_counter() - started, **counts)
