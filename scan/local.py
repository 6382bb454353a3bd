"""The local engine: one process, a `Scanner` over the files, rows to the background writer."""

from __future__ import annotations

import time
from pathlib import Path

from artifactsdk.progress import Progress
from artifactsdk.run_summary import RunSummary
from artifactsdk.scan.pipeline import Item, MediaWriter, Scanner
from artifactsdk.scan.results import ROWS_PER_PART, ResultsWriter, done_keys, drop_replaced_rows, provenance
from artifactsdk.scan.sources import local_inputs, read_local, source_name


def _item(path: Path) -> Item:
    name = source_name(path)
    return Item(name, lambda: read_local(path, name))


def scan_local(detector, paths: tuple[Path, ...], out: Path, *, recursive: bool = False, workers: int = 2,
               batch_size: int = 1, resume: bool = False, mask: bool = False, overlay: bool = False,
               rows_per_part: int = ROWS_PER_PART, streams: int = 1, progress: Progress | None = None) -> RunSummary:
    """Scan the images in `paths` into the results folder `out` (see artifactsdk.scan.results)."""
    files, missing = local_inputs(paths, recursive, out)
    skip = done_keys(out) if resume else set()
    writer = ResultsWriter(out, rows_per_part, provenance(detector.describe()))
    media = MediaWriter(out, mask, overlay) if (mask or overlay) else None
    progress = progress or Progress(enabled=False)
    progress.total = len(files) + len(missing)
    counts = {"processed": 0, "flagged": 0, "failed": 0}
    started = time.perf_counter()
    already = 0  # missing paths already in the results
    try:
        for failure in missing:
            if (failure["source"], None) in skip:  # a missing path has no content hash
                already += 1
            else:
                writer.add(failure)
                counts["failed"] += 1
        items = (_item(path) for path in files)
        with Scanner(detector, workers, batch_size, skip, media, streams) as scanner:
            for row in scanner.rows(items):
                writer.add(row)
                if row.get("error"):
                    counts["failed"] += 1
                    progress.note(f"error: {row['error']}", always=True)
                else:
                    counts["processed"] += 1
                    counts["flagged"] += bool(row["is_artifact"])
                done = counts["processed"] + counts["failed"] + scanner.skipped
                rate = counts["processed"] / max(time.perf_counter() - started, 1e-9)
                progress.update(done, f"{rate:.1f} images/s")
            skipped = scanner.skipped + already
    finally:
        writer.close()
    drop_replaced_rows(out)  # a file changed since its row was written: its new row replaces it
    return RunSummary(**counts, skipped=skipped, seconds=time.perf_counter() - started, output=str(out),
                      details={"engine": "local"})
