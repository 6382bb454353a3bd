"""Image files named on a command line (`detect`, `fix`): the files in the paths given, a
unique output name for each inside the output folder, and file names made safe to print."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from artifactsdk.detection import DetectionFailure
from artifactsdk.image_io import IMAGE_SUFFIXES
from artifactsdk.record_schema import safe_text


def one_line(text: str) -> str:
    """safe_text with control characters (newlines in file names) escaped: one line per record."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in safe_text(text))


def _failure(path: Path, error: str, error_type: str) -> dict:
    return DetectionFailure(source=str(path), error=f"{path}: {error}", error_type=error_type).to_dict()


def _walk(root: Path, recursive: bool, failures: list[dict]) -> list[Path]:
    """Files below `root` (its top level only unless `recursive`); every folder that cannot be
    read becomes a failure. Links to folders are followed once (a link loop is not re-entered)."""
    found: list[Path] = []
    seen: set[str] = set()

    def unreadable(exc: OSError) -> None:
        failures.append(_failure(Path(exc.filename or root), f"cannot read this folder ({exc.strerror or exc})",
                                 type(exc).__name__))

    for folder, subfolders, files in os.walk(root, onerror=unreadable, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            subfolders[:] = []
            continue
        seen.add(real)
        found += [Path(folder, name) for name in files]
        if not recursive:
            subfolders[:] = []
    return found


def collect_inputs(paths: tuple[Path, ...], recursive: bool,
                   exclude: Callable[[Path], bool] | None = None) -> tuple[list[tuple[Path, Path]], list[dict]]:
    """(file, name relative to its argument) for every image, and a failure per missing path
    or unreadable folder.

    Files named on the command line are taken whatever their suffix; folders contribute
    the files with an image suffix (searched recursively with --recursive) for which
    `exclude` (a tool's own outputs) is not true."""
    found: list[tuple[Path, Path]] = []
    failures: list[dict] = []
    for path in paths:
        if path.is_dir():
            files = _walk(path, recursive, failures)
            found += [(f, f.relative_to(path)) for f in sorted(files)
                      if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file() and not (exclude and exclude(f))]
        elif path.is_file():
            found.append((path, Path(path.name)))
        else:
            failures.append(_failure(path, "no such file or directory", "FileNotFoundError"))
    return found, failures


def same_input(output: Path, inputs) -> Path | None:
    """The input file that `output` would overwrite (the same path, a link, another spelling
    of it), or None. Outputs never overwrite inputs."""
    if not output.exists():
        return None  # every input exists, so a new file cannot be one of them
    for path in inputs:
        try:
            if os.path.samefile(path, output):
                return path
        except OSError:
            continue
    return None


class OutputNames:
    """Unique output stems inside --out: 'dir/photo' for 'dir/photo.jpg', then 'dir/photo-2'.

    `reserved`: stems never handed out (a summary's name); `avoid`: files that no output
    may land on (the inputs), given with the `suffixes` a stem's outputs get. Names are
    compared case-insensitively, as some file systems do."""

    def __init__(self, root: Path, reserved: tuple[str, ...] = (), avoid=(), suffixes: tuple[str, ...] = ()):
        self.root = root
        self.suffixes = suffixes
        self.taken: set[str] = {name.casefold() for name in reserved}
        self.avoid = {os.path.realpath(path) for path in avoid}

    def name(self, relative: Path) -> Path:
        """The unique stem for `relative` (inside root), no folder created."""
        base = relative.with_suffix("")
        candidate, n = base, 1
        while candidate.as_posix().casefold() in self.taken or self._lands_on_input(candidate):
            n += 1
            candidate = base.with_name(f"{base.name}-{n}")
        self.taken.add(candidate.as_posix().casefold())
        return self.root / candidate

    def stem(self, relative: Path) -> Path:
        """name(), with its folder created."""
        stem = self.name(relative)
        stem.parent.mkdir(parents=True, exist_ok=True)
        return stem

    def _lands_on_input(self, candidate: Path) -> bool:
        stem = os.path.realpath(self.root / candidate)
        return any(stem + suffix in self.avoid for suffix in self.suffixes)
