"""Where calibration images come from: a folder of images, or the synthetic engine with a seed.

A source yields HxWx3 uint8 RGB arrays in a fixed order, so the same source always
feeds the same images in the same order, and the calibration can be repeated.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np

from artifactsdk.errors import ArtifactSDKError, DatasetError
from artifactsdk.image_io import IMAGE_SUFFIXES, load_image
from artifactsdk.progress import collect

DEFAULT_CALIB_COUNT = 256
DEFAULT_CALIB_SEED = 0


class ImageSource(Protocol):
    """A fixed, ordered sequence of RGB images and a one-line description of its origin."""

    description: str

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[np.ndarray]: ...


def image_sha256(pixels: np.ndarray) -> str:
    """Hash of the decoded pixels (shape included), so the record says what the model saw."""
    digest = hashlib.sha256(f"{pixels.shape[0]}x{pixels.shape[1]}x{pixels.shape[2]}:".encode())
    digest.update(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def list_image_files(root: str | Path) -> list[Path]:
    """Image files under `root` (recursively), sorted by relative path.

    A dataset folder in the PAL layout keeps its pictures in `images/` next to the
    masks in `labels/`; only `images/` is read then, so masks never calibrate a model.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"image folder {root} does not exist or is not a directory; "
                           "pass a folder of .png / .jpg images.")
    base = root / "images" if (root / "images").is_dir() else root
    files = sorted((p for p in base.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
                   key=lambda p: p.relative_to(base).as_posix())
    if not files:
        raise DatasetError(f"image folder {base} holds no images (looked for {', '.join(IMAGE_SUFFIXES)}).")
    return files


def read_rgb(path: Path) -> np.ndarray:
    """Decode as the runtime does (EXIF orientation, any mode to RGB), so calibration sees
    what a Detector sees; an unreadable file stops the calibration naming the file."""
    try:
        return load_image(path).pixels
    except ArtifactSDKError as exc:
        raise DatasetError(f"calibration image {path} cannot be used: {exc} Remove or replace it.") from exc


@dataclass(frozen=True)
class FolderImages:
    """The images of a folder, in sorted order; at most `limit` of them when given."""

    root: Path
    limit: int | None = None

    @property
    def files(self) -> list[Path]:
        files = list_image_files(self.root)
        return files[: self.limit] if self.limit is not None else files

    @property
    def description(self) -> str:
        return f"folder:{Path(self.root).resolve().as_posix()}"

    def __len__(self) -> int:
        return len(self.files)

    def __iter__(self) -> Iterator[np.ndarray]:
        return (read_rgb(path) for path in self.files)


@dataclass(frozen=True)
class SynthImages:
    """`count` images of the synthetic artifact engine made with `seed`, `size` pixels square."""

    count: int
    seed: int
    size: int = 512

    @property
    def description(self) -> str:
        return f"synth:seed={self.seed},count={self.count},size={self.size}"

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[np.ndarray]:
        return (sample.image for sample in synthetic_samples(self.count, self.seed, self.size))


def _generate(seed: int, size: int, index: int):
    # imports scipy: only when this runs
    from artifactsdk.training.synth import SynthConfig, generate_sample

    return generate_sample(seed, index, SynthConfig(size=size))


def synthetic_samples(count: int, seed: int, size: int, workers: int | None = None) -> Iterator:
    """The synthetic engine's samples 0..count-1 of `seed`, in index order, made on all cores
    (each sample depends only on seed and index, so the order of work does not matter)."""
    workers = min(workers or os.cpu_count() or 1, count)
    if workers <= 1:
        yield from (_generate(seed, size, index) for index in range(count))
        return
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(partial(_generate, seed, size), range(count), chunksize=4)


@dataclass(frozen=True)
class ImageSet:
    """Images read once from a source, with their hashes; shared by every model of an export."""

    images: tuple[np.ndarray, ...]
    hashes: tuple[str, ...]
    description: str

    def __len__(self) -> int:
        return len(self.images)


def load_images(source: ImageSource, quiet: bool = True) -> ImageSet:
    """Read every image of `source` once (progress on a terminal unless `quiet`)."""
    images = collect(source, "calibration images", len(source), quiet)
    if not images:
        raise DatasetError(f"calibration source {source.description} gave no images; "
                           "calibration needs at least one.")
    return ImageSet(tuple(images), tuple(image_sha256(image) for image in images), source.description)


def calibration_loader(calib_dir, count: int, seed: int, quiet: bool):
    """A loader of the calibration images (read only if TensorRT has to calibrate), or None."""
    if calib_dir:
        source = FolderImages(Path(calib_dir))
    elif count > 0:
        source = SynthImages(count, seed)
    else:
        return None
    return lambda: load_images(source, quiet=quiet).images
