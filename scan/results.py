"""The results folder: Parquet part files, written in the background, read back for --resume.

Each part is written to a hidden temporary name and renamed when complete, so a scan
that is killed leaves only whole parts behind (readers skip names starting with "." or
"_"); the rows of the unfinished part are redone by --resume.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.fs as fs
import pyarrow.parquet as pq

from artifactsdk.errors import InvalidInputError
from artifactsdk.scan.rows import KEY, SCHEMA, to_table

ROWS_PER_PART = 256  # also how many images a killed scan may have to redo


def is_uri(out: str | Path) -> bool:
    return "://" in str(out)


def _parts(out: str | Path) -> tuple[fs.FileSystem, list[str]]:
    """The results folder's file system and its complete part files; `out` is a local
    folder or (written by the Ray engine) a URI such as s3://bucket/results."""
    filesystem, root = (fs.FileSystem.from_uri(str(out)) if is_uri(out)
                        else (fs.LocalFileSystem(), os.path.abspath(out)))
    found = filesystem.get_file_info(fs.FileSelector(root, allow_not_found=True))
    return filesystem, sorted(info.path for info in found if info.type == fs.FileType.File
                              and info.base_name.endswith(".parquet") and not info.base_name.startswith((".", "_")))


def part_files(out: Path) -> list[Path]:
    return [Path(path) for path in _parts(out)[1]]


def done_keys(out: str | Path) -> set[tuple[str, str]]:
    """(source, content_hash) of every image that has a row in `out` (errors included)."""
    filesystem, files = _parts(out)
    if not files:
        return set()
    table = ds.dataset(files, filesystem=filesystem, format="parquet").to_table(columns=list(KEY))
    return set(zip(*(table.column(name).to_pylist() for name in KEY)))


def read_results(out: str | Path):
    """Every row of the results folder as one pyarrow Table of SCHEMA."""
    filesystem, files = _parts(out)
    return ds.dataset(files, filesystem=filesystem, schema=SCHEMA, format="parquet").to_table()


def check_results_folder(out: str | Path, resume: bool) -> None:
    """Refuse to mix a new scan into existing results unless resuming, and a file as folder."""
    if not is_uri(out) and Path(out).exists() and not Path(out).is_dir():
        raise InvalidInputError(f"--out {out} is a file; the results are a folder of Parquet files.")
    if _parts(out)[1] and not resume:
        raise InvalidInputError(f"{out} already holds scan results; pass --resume to add only the images "
                                "not in them, or choose another folder.")


class ResultsWriter:
    """Rows in (from any thread), Parquet parts out, on a thread of its own."""

    def __init__(self, out: Path, rows_per_part: int = ROWS_PER_PART):
        out.mkdir(parents=True, exist_ok=True)
        self.out, self.rows_per_part = out, rows_per_part
        self.prefix = f"part-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"  # unique per run
        self.written = 0
        self._queue: queue.Queue = queue.Queue()
        self._pending: list[dict] = []
        self._parts = 0
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="scan-writer", daemon=True)
        self._thread.start()

    def add(self, row: dict) -> None:
        if self._failure is not None:
            raise self._failure
        self._queue.put(row)

    def close(self) -> None:
        """Write what is left and wait for the thread; re-raises a write failure."""
        self._queue.put(None)
        self._thread.join()
        if self._failure is not None:
            raise self._failure

    def _loop(self) -> None:
        try:
            while (row := self._queue.get()) is not None:
                self._pending.append(row)
                if len(self._pending) >= self.rows_per_part:
                    self._flush()
            self._flush()
        except BaseException as exc:  # handed to the producer on its next add / close
            self._failure = exc

    def _flush(self) -> None:
        if not self._pending:
            return
        name = f"{self.prefix}-{self._parts:05d}.parquet"
        temporary = self.out / f".{name}.tmp"
        pq.write_table(to_table(self._pending), temporary)
        os.replace(temporary, self.out / name)
        self._parts += 1
        self.written += len(self._pending)
        self._pending = []
