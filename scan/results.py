"""The results folder: Parquet part files, written in the background, read back for --resume.

Each part is written to a hidden temporary name and renamed when complete, so a scan
that is killed leaves only whole parts behind (readers skip names starting with "." or
"_"); the rows of the unfinished part are redone by --resume.

- Both engines name parts `part-<UTC time>-<run id>-<writer>-<n>.parquet`, so names sort
  by when they were written.
- Every part carries its provenance in the Parquet file metadata (key "artifactsdk",
  JSON: the artifactsdk version, the bundle and its models' sha256, the thresholds, when).
- One file has one row: a file scanned again with new content (--resume) replaces its
  older row (`drop_replaced_rows`).
- A part that cannot be read (truncated, or not a scan's) is moved to `_set_aside/` by
  --resume, with a message; its images are scanned again.
- One scan at a time writes into a local folder (a lock, as `detect --out` has).
"""

from __future__ import annotations

import json
import os
import queue
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as fs
import pyarrow.parquet as pq

from artifactsdk import __version__
from artifactsdk.errors import InvalidInputError
from artifactsdk.result_folder import hold_lock
from artifactsdk.scan.rows import KEY, SCHEMA, to_table

ROWS_PER_PART = 256  # also how many images a killed scan may have to redo
METADATA_KEY = b"artifactsdk"
SET_ASIDE = "_set_aside"
LOCK_NAME = ".scan.lock"


def is_uri(out: str | Path) -> bool:
    return "://" in str(out)


def utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def part_stem(run: str, writer: int) -> str:
    """`run`: "<utc_stamp()>-<a unique id>"; `writer`: the local writer (0) or a Ray write task."""
    return f"part-{run}-{writer:05d}"


def provenance(description: dict) -> dict:
    """What made the rows, from `Detector.describe()`: stored in every part file's metadata."""
    return {"artifactsdk_version": __version__,
            "bundle": {"name": description.get("bundle_name"), "version": description.get("bundle_version"),
                       "path": description["bundle"]},
            "models": {role: {key: model.get(key) for key in ("sha256", "file", "precision", "backend")}
                       for role, model in description["models"].items()},
            "mode": description["mode"], "thresholds": description["thresholds"],
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def schema_with(made_by: dict | None) -> pa.Schema:
    return SCHEMA.with_metadata({METADATA_KEY: json.dumps(made_by)}) if made_by else SCHEMA


def lock_results(out: Path):
    """Create the local results folder and lock it for this scan (close the returned file to
    release); raises ArtifactSDKError while another scan writes into it."""
    out.mkdir(parents=True, exist_ok=True)
    return hold_lock(out / LOCK_NAME, out)


def _filesystem(out: str | Path) -> tuple[fs.FileSystem, str]:
    return fs.FileSystem.from_uri(str(out)) if is_uri(out) else (fs.LocalFileSystem(), os.path.abspath(out))


def _parts(out: str | Path) -> tuple[fs.FileSystem, list[str]]:
    """The results folder's file system and its complete part files, oldest first; `out` is
    a local folder or (written by the Ray engine) a URI such as s3://bucket/results."""
    filesystem, root = _filesystem(out)
    found = filesystem.get_file_info(fs.FileSelector(root, allow_not_found=True))
    return filesystem, sorted(info.path for info in found if info.type == fs.FileType.File
                              and info.base_name.endswith(".parquet") and not info.base_name.startswith((".", "_")))


def part_files(out: Path) -> list[Path]:
    return [Path(path) for path in _parts(out)[1]]


def _part_keys(filesystem, path: str) -> list[tuple]:
    table = pq.read_table(path, columns=list(KEY), filesystem=filesystem)
    if not table.schema.equals(pa.schema([SCHEMA.field(name) for name in KEY])):
        raise InvalidInputError(f"its columns {table.schema.names} are not a scan's")
    return list(zip(*(table.column(name).to_pylist() for name in KEY)))


def set_aside_unreadable(out: str | Path) -> list[str]:
    """Move every part file whose keys cannot be read (truncated, not Parquet, not a scan's
    rows) to `_set_aside/`; returns one message per file moved."""
    filesystem, files = _parts(out)
    _, root = _filesystem(out)
    messages = []
    for path in files:
        try:
            _part_keys(filesystem, path)
        except (pa.ArrowException, OSError, InvalidInputError) as exc:
            target = f"{root}/{SET_ASIDE}/{path.rsplit('/', 1)[-1]}"
            filesystem.create_dir(f"{root}/{SET_ASIDE}")
            filesystem.move(path, target)
            messages.append(f"{path}: not readable as scan results ({type(exc).__name__}: {exc}); moved to {target}, "
                            "its images are scanned again.")
    return messages


def done_keys(out: str | Path) -> set[tuple[str, str]]:
    """(source, content_hash) of every image that has a row in `out` (errors included)."""
    filesystem, files = _parts(out)
    return {key for path in files for key in _part_keys(filesystem, path)}


def drop_replaced_rows(out: str | Path) -> int:
    """Keep one row per source, the newest part's: an older part holding a source a newer
    one has again (a file changed and scanned again) is rewritten without that row (a
    temporary file renamed over it; removed when nothing is left). Returns the rows dropped."""
    filesystem, files = _parts(out)
    newest: dict[str, str] = {}
    sources = {path: [source for source, _ in _part_keys(filesystem, path)] for path in files}
    for path in files:  # oldest first: the last part naming a source wins
        newest.update(dict.fromkeys(sources[path], path))
    dropped = 0
    for path in files:
        stale = {source for source in sources[path] if newest[source] != path}
        if not stale:
            continue
        table = pq.read_table(path, filesystem=filesystem)
        kept = table.filter(pc.invert(pc.is_in(table.column("source"), pa.array(sorted(stale)))))
        dropped += len(table) - len(kept)
        if len(kept):
            folder, name = path.rsplit("/", 1)
            temporary = f"{folder}/.{name}.tmp"
            pq.write_table(kept, temporary, filesystem=filesystem)
            filesystem.move(temporary, path)
        else:
            filesystem.delete_file(path)
    return dropped


def count_rows(out: str | Path, prefix: str) -> dict[str, int]:
    """processed, flagged and failed rows of the parts whose names start with `prefix` (one run's)."""
    filesystem, files = _parts(out)
    mine = [path for path in files if path.rsplit("/", 1)[-1].startswith(prefix)]
    table = pq.ParquetDataset(mine, filesystem=filesystem).read(columns=["is_artifact", "error"]) if mine else None
    if table is None:
        return {"processed": 0, "flagged": 0, "failed": 0}
    failed = table.column("error").is_valid().to_pylist().count(True)
    return {"processed": len(table) - failed, "flagged": table.column("is_artifact").to_pylist().count(True),
            "failed": failed}


def read_results(out: str | Path):
    """Every row of the results folder as one pyarrow Table of SCHEMA."""
    filesystem, files = _parts(out)
    return ds.dataset(files, filesystem=filesystem, schema=SCHEMA, format="parquet").to_table()


def read_provenance(out: str | Path) -> list[dict]:
    """The distinct provenance records of a results folder's parts (or of one Parquet file),
    oldest first; parts written without one are left out."""
    filesystem, root = _filesystem(out)
    files = [root] if filesystem.get_file_info(root).type == fs.FileType.File else _parts(out)[1]
    found: list[dict] = []
    for path in files:
        metadata = pq.read_schema(path, filesystem=filesystem).metadata or {}
        try:
            record = json.loads(metadata[METADATA_KEY])
        except (KeyError, ValueError):
            continue
        if record not in found:
            found.append(record)
    return found


def check_is_folder(out: str | Path) -> None:
    """Refuse a file given as the results folder."""
    if not is_uri(out) and Path(out).exists() and not Path(out).is_dir():
        raise InvalidInputError(f"--out {out} is a file; the results are a folder of Parquet files.")


def check_results_folder(out: str | Path, resume: bool) -> None:
    """Refuse to mix a new scan into existing results unless resuming, and a file as folder."""
    check_is_folder(out)
    if _parts(out)[1] and not resume:
        raise InvalidInputError(f"{out} already holds scan results; pass --resume to add only the images "
                                "not in them, or choose another folder.")


class ResultsWriter:
    """Rows in (from any thread), Parquet parts out, on a thread of its own."""

    def __init__(self, out: Path, rows_per_part: int = ROWS_PER_PART, made_by: dict | None = None):
        out.mkdir(parents=True, exist_ok=True)
        self.out, self.rows_per_part = out, rows_per_part
        self.schema = schema_with(made_by)
        self.stem = part_stem(f"{utc_stamp()}-{uuid.uuid4().hex}", 0)  # unique per run
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
        name = f"{self.stem}-{self._parts}.parquet"
        temporary = self.out / f".{name}.tmp"
        pq.write_table(to_table(self._pending, self.schema), temporary)
        os.replace(temporary, self.out / name)
        self._parts += 1
        self.written += len(self._pending)
        self._pending = []
