"""The folder beside a large report that holds its thumbnails (`<report>_files/`).

The report marks the folder it makes with an owner file and, on a later run, removes only
its own thumbnails from a folder so marked: a user's folder of that name is never deleted,
emptied or written into.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from artifactsdk.errors import InvalidInputError

OWNER_NAME = ".artifactsdk-report"
OWNER_TEXT = "Thumbnails written by 'artifactsdk report'; the next report of this name replaces them.\n"
THUMB_NAME = re.compile(r"\d{6}\.jpg")


def files_dir_of(out: Path) -> Path:
    return out.with_name(out.stem + "_files")


def thumbnail_name(index: int) -> str:
    return f"{index:06d}.jpg"


def is_ours(folder: Path) -> bool:
    """`folder` is a real folder (not a link) that an earlier report made."""
    return not folder.is_symlink() and folder.is_dir() and (folder / OWNER_NAME).is_file()


def check_writable(folder: Path) -> None:
    """Refuse a `folder` that exists and was not made by a report."""
    if os.path.lexists(folder) and not is_ours(folder):
        raise InvalidInputError(f"{folder} exists and was not written by artifactsdk report; it is kept. "
                                "Choose another --out name (a large report keeps its thumbnails in <name>_files/).")


def clear(folder: Path) -> None:
    """Remove an earlier report's thumbnails and mark from `folder`, and the folder when that
    empties it; anything else in it stays. A folder the report did not make is left alone."""
    if not is_ours(folder):
        return
    for path in folder.iterdir():
        if THUMB_NAME.fullmatch(path.name) and not path.is_symlink() and path.is_file():
            path.unlink()
    (folder / OWNER_NAME).unlink()
    if not any(folder.iterdir()):
        folder.rmdir()


def create(folder: Path) -> None:
    """Make `folder` (absent, or kept after `clear` for the files of someone else) and mark it."""
    folder.mkdir(exist_ok=True)
    (folder / OWNER_NAME).write_text(OWNER_TEXT, encoding="utf-8")


def write_thumbnail(folder: Path, index: int, data: bytes) -> Path:
    path = folder / thumbnail_name(index)
    with open(path, "xb") as handle:  # never over a file or through a link of someone else's
        handle.write(data)
    return path
