"""How the scan names its inputs, and how the Ray engine lists and reads them: local
paths or URIs (s3://, gs://, file://: any file system pyarrow opens), listed once on the
driver and read by the actors that scan them.

The actors read the files next to their decoders: with Ray Data read tasks passing every
file's bytes through the object store, one actor ran 27 % below the local scan on 2
vCPUs; reading in the actor brought that to 11-12 % (BENCHMARKS.md). Every actor must
reach the files: a shared file system or object storage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from artifactsdk.image_files import collect_inputs
from artifactsdk.image_io import IMAGE_SUFFIXES


def source_name(path: Path) -> str:
    """How a local file is named in the results: its absolute path."""
    return os.path.abspath(path)


@dataclass(frozen=True)
class Sources:
    """The files to scan: `rows` ({"path": name in the results, "filesystem": index into
    `filesystems`, "location": its path there}), one per image and one per path that does
    not exist (reading it fails, so it becomes an error row like any unreadable file)."""

    filesystems: tuple  # pyarrow.fs.FileSystem, picklable: handed to every actor
    rows: list[dict]


def list_sources(paths: list[str], recursive: bool) -> Sources:
    """Local paths are listed like the local engine lists them (files named on the command
    line whatever their suffix; folders' image files, recursively with `recursive`)."""
    from pyarrow import fs

    filesystems, rows = [fs.LocalFileSystem()], []
    local = [Path(p) for p in paths if "://" not in p]
    files, missing = collect_inputs(tuple(local), recursive)
    rows += [_row(source_name(path), 0, source_name(path)) for path, _ in files]
    rows += [_row(failure["source"], 0, failure["source"]) for failure in missing]
    for uri in (p for p in paths if "://" in p):
        filesystem, root = fs.FileSystem.from_uri(uri)
        filesystems.append(filesystem)
        rows += _list_uri(filesystem, len(filesystems) - 1, uri, root, recursive)
    return Sources(tuple(filesystems), rows)


def read_source(filesystems: tuple, row: dict) -> bytes:
    with filesystems[row["filesystem"]].open_input_stream(row["location"]) as stream:
        return stream.readall()


def _row(name: str, filesystem: int, location: str) -> dict:
    return {"path": name, "filesystem": filesystem, "location": location}


def _list_uri(filesystem, index: int, uri: str, root: str, recursive: bool) -> list[dict]:
    """Rows named `<the URI's scheme and authority><path>`, e.g. s3://bucket/key."""
    from pyarrow import fs

    prefix = uri[: uri.index(root)] if root and root in uri else uri.split("://", 1)[0] + "://"
    if filesystem.get_file_info(root).type != fs.FileType.Directory:
        return [_row(uri, index, root)]  # a file, or missing: reading it gives the error row
    found = filesystem.get_file_info(fs.FileSelector(root, recursive=recursive))
    return [_row(prefix + info.path, index, info.path) for info in sorted(found, key=lambda i: i.path)
            if info.type == fs.FileType.File and Path(info.path).suffix.lower() in IMAGE_SUFFIXES]
