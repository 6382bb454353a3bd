"""Image files named on a command line (`detect`, `fix`): the files in the paths given, and
a unique output name for each inside the output folder."""

from __future__ import annotations

import os
from pathlib import Path

from artifactsdk.image_io import IMAGE_SUFFIXES


def collect_inputs(paths: tuple[Path, ...], recursive: bool) -> tuple[list[tuple[Path, Path]], list[dict]]:
    """(file, name relative to its argument) for every image, and a failure per missing path.

    Files named on the command line are taken whatever their suffix; folders contribute
    the files with an image suffix (searched recursively with --recursive)."""
    found: list[tuple[Path, Path]] = []
    missing: list[dict] = []
    for path in paths:
        if path.is_dir():
            candidates = path.rglob("*") if recursive else path.iterdir()
            found += [(f, f.relative_to(path)) for f in sorted(candidates)
                      if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
        elif path.is_file():
            found.append((path, Path(path.name)))
        else:
            missing.append({"source": str(path), "error": f"{path}: no such file or directory",
                            "error_type": "FileNotFoundError"})
    return found, missing


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
    """Unique output stems inside --out: 'dir/photo' for 'dir/photo.jpg', then 'dir/photo-2'."""

    def __init__(self, root: Path):
        self.root = root
        self.taken: set[Path] = set()

    def stem(self, relative: Path) -> Path:
        base = relative.with_suffix("")
        candidate, n = base, 1
        while candidate in self.taken:
            n += 1
            candidate = base.with_name(f"{base.name}-{n}")
        self.taken.add(candidate)
        (self.root / candidate).parent.mkdir(parents=True, exist_ok=True)
        return self.root / candidate
