"""The held-out set the accuracy gate scores every precision on: a dataset folder, or the
synthetic engine with a seed that calibration never used."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from artifactsdk.calibration.sources import ImageSet, image_sha256, synthetic_samples
from artifactsdk.errors import ExportError
from artifactsdk.progress import collect
from artifactsdk.training.datasets import load_samples

DEFAULT_EVAL_COUNT = 128
DEFAULT_EVAL_SEED = 104729  # never a calibration or training seed of the shipped models


@dataclass(frozen=True)
class HeldOutSet:
    """Samples with `image`, `mask` and `annotations` (synthetic or read from a dataset folder)."""

    samples: tuple
    description: str

    @property
    def images(self) -> list:
        return [sample.image for sample in self.samples]

    def __len__(self) -> int:
        return len(self.samples)


def synthetic_heldout(count: int, seed: int, size: int, quiet: bool = True) -> HeldOutSet:
    samples = collect(synthetic_samples(count, seed, size), "held-out images", count, quiet)
    return HeldOutSet(tuple(samples), f"synth:seed={seed},count={count},size={size}")


def folder_heldout(root: str | Path, quiet: bool = True) -> HeldOutSet:
    """Every sample of the dataset at `root` (synth output, PAL or SynArtifact-1K layout)."""
    samples = load_samples(root, quiet)
    if not samples:
        raise ExportError(f"the held-out dataset {root} is empty; the accuracy gate needs images.")
    return HeldOutSet(tuple(samples), f"folder:{Path(root).resolve().as_posix()}")


def require_disjoint(heldout: HeldOutSet, calibration: ImageSet) -> None:
    """The gate measures generalisation only if no held-out image was used for calibration."""
    shared = {image_sha256(image) for image in heldout.images} & set(calibration.hashes)
    if shared:
        raise ExportError(f"{len(shared)} of the {len(heldout)} held-out images ({heldout.description}) "
                          f"are also calibration images ({calibration.description}). Use a different "
                          "--eval-seed or --eval-data so the accuracy gate scores unseen images.")
