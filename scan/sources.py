"""How the scan finds, names and reads its inputs: local paths or URIs (s3://, gs://,
file://: any file system pyarrow opens). Both engines list the files the same way; the Ray
engine lists them once on the driver and its actors read them where they scan them.

The actors read the files next to their decoders: with Ray Data read tasks passing every
file's bytes through the object store, one actor ran 27 % below the local scan on 2
vCPUs; reading in the actor brought that to 11-12 % (BENCHMARKS.md). Every actor must
reach the files: a shared file system or object storage.

A file is checked by its size and its header before it is read whole, so a huge file of
junk costs one `stat` and a few bytes, not its size in memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PIL import Image, UnidentifiedImageError

from artifactsdk.errors import ImageDecodeError
from artifactsdk.image_files import collect_inputs
from artifactsdk.image_io import IMAGE_SUFFIXES
from artifactsdk.record_schema import safe_text
from artifactsdk.scan.rows import MEDIA_KINDS, media_folder

# No image within Pillow's pixel limit (89 M pixels) needs more as a file: 4 bytes a pixel
# uncompressed is 358 MB, and every format the scan reads compresses.
MAX_FILE_BYTES = 512 << 20


def source_name(path: Path) -> str:
    """How a local file is named in the results: its absolute path, with the bytes of a
    name that is not UTF-8 written as \\xNN, as `detect` writes them."""
    return safe_text(os.path.abspath(path))


def own_outputs(out: str | Path | None, scanned) -> Callable[[Path], bool]:
    """What a scan of the folders `scanned` must never take for an input: the pictures in
    `out`, and everything in `out` when it lies inside a scanned folder (not one of them)."""
    if out is None or "://" in str(out):
        return lambda path: False
    root = os.path.realpath(out)
    pictures = tuple(os.path.join(root, media_folder(kind)) + os.sep for kind in MEDIA_KINDS)
    inside = root not in {os.path.realpath(path) for path in scanned}

    def excluded(path: Path) -> bool:
        real = os.path.realpath(path)
        return real.startswith(pictures) or (inside and real.startswith(root + os.sep))

    return excluded


def local_inputs(paths: tuple[Path, ...], recursive: bool,
                 out: str | Path | None = None) -> tuple[list[Path], list[dict]]:
    """The local files to scan, each distinct file once (by its resolved path: a file given
    twice, or through a link, keeps the first name), and a failure per missing path."""
    found, missing = collect_inputs(paths, recursive, own_outputs(out, paths))
    seen: set[str] = set()
    files = []
    for path, _ in found:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            files.append(path)
    return files, missing


def read_image_file(stream, size: int, name: str) -> bytes:
    """The bytes of an open image file, after checking its size and that its header is one
    Pillow knows (Pillow reads a few bytes to tell, not the file)."""
    if size > MAX_FILE_BYTES:
        raise ImageDecodeError(f"{name}: {size:,} bytes is more than the {MAX_FILE_BYTES:,} an image file may "
                               "have here; not read.")
    try:
        Image.open(stream)  # reads the header only (format, dimensions); its close() would close the stream
    except UnidentifiedImageError:
        stream.seek(0)
        raise ImageDecodeError(f"{name}: not an image file (starts with {stream.read(16)!r}); not read "
                               "further.") from None
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError(f"{name}: refused as a possible decompression bomb ({exc}).") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageDecodeError(f"{name}: the image header is corrupt: {exc}") from None
    stream.seek(0)
    return stream.read()


def read_local(path: Path, name: str) -> bytes:
    with open(path, "rb") as stream:
        return read_image_file(stream, os.fstat(stream.fileno()).st_size, name)


@dataclass(frozen=True)
class Sources:
    """The files to scan: `rows` ({"path": name in the results, "filesystem": index into
    `filesystems` (0: this machine's, read with Python), "location": its path there, as
    bytes so that any local file name travels}), one per image and one per path that does
    not exist (reading it fails, so it becomes an error row like any unreadable file)."""

    filesystems: tuple  # pyarrow.fs.FileSystem, picklable: handed to every actor
    rows: list[dict]


def list_sources(paths: list[str], recursive: bool, out: str | None = None) -> Sources:
    """Local paths are listed as the local engine lists them (files named on the command
    line whatever their suffix; folders' image files, recursively with `recursive`)."""
    from pyarrow import fs

    filesystems, rows = [fs.LocalFileSystem()], []
    local = tuple(Path(p) for p in paths if "://" not in p)
    files, missing = local_inputs(local, recursive, out)
    rows += [_row(source_name(path), 0, os.fsencode(path)) for path in files]
    rows += [_row(failure["source"], 0, os.fsencode(failure["source"])) for failure in missing]
    for uri in (p for p in paths if "://" in p):
        filesystem, root = fs.FileSystem.from_uri(uri)
        filesystems.append(filesystem)
        rows += _list_uri(filesystem, len(filesystems) - 1, uri, root, recursive)
    return Sources(tuple(filesystems), rows)


def read_source(filesystems: tuple, row: dict) -> bytes:
    location, name = bytes(row["location"]), str(row["path"])
    if row["filesystem"] == 0:
        return read_local(Path(os.fsdecode(location)), name)
    with filesystems[row["filesystem"]].open_input_file(location.decode("utf-8")) as stream:
        return read_image_file(stream, stream.size(), name)


def _row(name: str, filesystem: int, location: bytes) -> dict:
    return {"path": name, "filesystem": filesystem, "location": location}


def _list_uri(filesystem, index: int, uri: str, root: str, recursive: bool) -> list[dict]:
    """Rows named `<the URI's scheme and authority><path>`, e.g. s3://bucket/key."""
    from pyarrow import fs

    prefix = uri[: uri.index(root)] if root and root in uri else uri.split("://", 1)[0] + "://"
    if filesystem.get_file_info(root).type != fs.FileType.Directory:
        return [_row(uri, index, root.encode("utf-8"))]  # a file, or missing: reading it gives the error row
    found = filesystem.get_file_info(fs.FileSelector(root, recursive=recursive))
    return [_row(prefix + info.path, index, info.path.encode("utf-8")) for info in sorted(found, key=lambda i: i.path)
            if info.type == fs.FileType.File and Path(info.path).suffix.lower() in IMAGE_SUFFIXES]
