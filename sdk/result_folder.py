"""The --out folder of `artifactsdk detect`: results that lose nothing.

- Names come from image_files.OutputNames: unique within the run, never `summary.json`,
  never the name of an input (so `--out` may be the input folder).
- Every file is written to a temporary file in `.artifactsdk/tmp/` and renamed into
  place, so a killed run leaves whole files or none; an image's JSON is written last.
- `.artifactsdk/detect-index.jsonl` gets one line per finished image (its outputs), so
  `--resume` skips finished images without reading their results, and later runs never
  take a previous run's outputs for inputs.
- Existing results are kept (that image's error) unless `overwrite`; `resume` redoes
  only images without a finished record.
- One run at a time per folder (an advisory lock where the OS has one).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Callable

from artifactsdk.errors import ArtifactSDKError
from artifactsdk.image_files import OutputNames

STATE_DIR = ".artifactsdk"
INDEX_NAME = "detect-index.jsonl"
SUMMARY_NAME = "summary.json"
JSON_SUFFIX = ".json"
OVERLAY_SUFFIX, MASK_SUFFIX = ".overlay.png", ".mask.png"  # beside <name>.json with --overlay / --mask
MODES = ("new", "resume", "overwrite")
PARTIAL_SUFFIX = ".partial"  # a file being written (atomic_write)


class ResultExistsError(ArtifactSDKError):
    """An image's result is already in the output folder and may not be replaced."""


def _lock(handle, folder: Path) -> None:
    try:
        import fcntl
    except ImportError:  # no advisory locks on this OS
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise ArtifactSDKError(f"another run is writing to {folder}; give each run its own --out folder.") from None


def hold_lock(path: Path, folder: Path):
    """Open `path` (created if needed) and lock it for the run writing into `folder`; the
    lock lasts until the returned file is closed (or the process ends). Raises
    ArtifactSDKError when another run holds it."""
    handle = open(path, "a+b")
    try:
        _lock(handle, folder)
    except BaseException:
        handle.close()
        raise
    return handle


def atomic_write(target: Path, writer: Callable[[io.BufferedIOBase], None], folder: Path | None = None) -> None:
    """Write `target` through a temporary file in `folder` (default: beside it, hidden) renamed
    into place, so a reader or a killed run sees the whole file or none. The file is created
    with mode 0o666 and the process's umask applies, as for any file the user makes."""
    temporary = (folder or target.parent) / f".{target.name}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}"
    try:
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as fh:
            writer(fh)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_index(path: Path) -> dict[str, list[str]]:
    """source key -> its outputs, for every image a run finished (a torn last line is ignored)."""
    finished: dict[str, list[str]] = {}
    if not path.is_file():
        return finished
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            try:
                record = json.loads(line)
                finished[record["key"]] = list(record["outputs"])
            except (ValueError, KeyError, TypeError):
                continue
    return finished


class ResultFolder:
    def __init__(self, root: Path, mode: str = "new"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.root = root
        self.mode = mode
        self.state = root / STATE_DIR
        self.finished = read_index(self.state / INDEX_NAME)
        self._previous_outputs = {os.path.realpath(root / name) for outputs in self.finished.values()
                                  for name in outputs}
        self.names: OutputNames | None = None
        self._index = None

    # -- before the run: what is ours --------------------------------------------------------
    def owns(self, path: Path) -> bool:
        """True for this folder's own files: its state folder and every output a run recorded."""
        real = os.path.realpath(path)
        state = os.path.realpath(self.state)
        return real.startswith(state + os.sep) or real in self._previous_outputs

    def excluder(self, scanned: tuple[Path, ...]) -> Callable[[Path], bool]:
        """What a scan of `scanned` must skip: this folder's own files and, when the folder
        lies inside a scanned folder (not one of them), everything in it."""
        root = os.path.realpath(self.root)
        inside = root not in {os.path.realpath(path) for path in scanned}
        return lambda path: self.owns(path) or (inside and os.path.realpath(path).startswith(root + os.sep))

    # -- the run ----------------------------------------------------------------------------
    def open(self, inputs: list[Path], suffixes: tuple[str, ...]) -> "ResultFolder":
        """Create the folder, lock it, clear stale temporary files, open the index."""
        self.state.mkdir(parents=True, exist_ok=True)
        self._index = hold_lock(self.state / INDEX_NAME, self.root)
        shutil.rmtree(self.state / "tmp", ignore_errors=True)
        (self.state / "tmp").mkdir()
        self._index.seek(0, os.SEEK_END)
        if self._index.tell():  # a killed run may have torn the last line: start a fresh one
            self._index.seek(-1, os.SEEK_END)
            if self._index.read(1) != b"\n":
                self._index.write(b"\n")
        self.names = OutputNames(self.root, reserved=(Path(SUMMARY_NAME).stem, STATE_DIR), avoid=inputs,
                                 suffixes=(*suffixes, JSON_SUFFIX))
        return self

    def key(self, path: Path) -> str:
        return os.path.abspath(path)

    def is_finished(self, path: Path) -> bool:
        outputs = self.finished.get(self.key(path))
        return self.mode == "resume" and outputs is not None and all((self.root / o).is_file() for o in outputs)

    def existing_result(self, stems, suffixes: tuple[str, ...]) -> Path | None:
        """In mode "new", the first result of `stems` already in the folder (a conflict to
        report before any work), else None."""
        if self.mode != "new":
            return None
        return next((target for stem in stems for target in _targets(stem, suffixes).values() if target.exists()),
                    None)

    def write(self, path: Path, stem: Path, files: dict[str, Callable[[io.BufferedIOBase], None]],
              record: dict) -> list[str]:
        """Write an image's files (suffix -> writer) and its JSON record under `stem`; then
        index it. Raises OSError / ResultExistsError, leaving no partial file."""
        targets = _targets(stem, tuple(files))
        if self.mode == "new":
            existing = [t for t in targets.values() if t.exists()]
            if existing:
                raise ResultExistsError(f"{path}: its result {existing[0]} already exists and is kept; pass "
                                        "--resume to skip finished images or --overwrite to replace results.")
        stem.parent.mkdir(parents=True, exist_ok=True)
        for suffix, writer in files.items():
            self._atomic(targets[suffix], writer)
        text = (json.dumps(record, indent=2) + "\n").encode("utf-8")
        self._atomic(targets[JSON_SUFFIX], lambda fh: fh.write(text))
        outputs = [target.relative_to(self.root).as_posix() for target in targets.values()]
        line = json.dumps({"key": self.key(path), "outputs": outputs}) + "\n"
        self._index.write(line.encode("utf-8", "surrogateescape"))
        self._index.flush()
        return outputs

    def write_summary(self, summary: dict) -> Path | None:
        """Write summary.json; a run that processed nothing keeps an earlier one (returns None)."""
        target = self.root / SUMMARY_NAME
        if not summary["processed"] and target.exists():
            return None
        text = (json.dumps(summary, indent=2) + "\n").encode("utf-8")
        self._atomic(target, lambda fh: fh.write(text))
        return target

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    def _atomic(self, target: Path, writer: Callable[[io.BufferedIOBase], None]) -> None:
        atomic_write(target, writer, self.state / "tmp")


def _targets(stem: Path, suffixes: tuple[str, ...]) -> dict[str, Path]:
    """suffix -> the file of an image's result: its pictures, then its JSON record (written last)."""
    return {suffix: stem.with_name(stem.name + suffix) for suffix in (*suffixes, JSON_SUFFIX)}
