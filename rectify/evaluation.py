"""Measure repairs on synthetic images whose clean originals are known (`artifactsdk synth
--with-clean`): detected artifact area before vs after, and PSNR / SSIM inside the true
artifact regions against the clean original, before vs after, per inpainter."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from artifactsdk.errors import DatasetError, InvalidInputError
from artifactsdk.rectify.fix import fix_image
from artifactsdk.rectify.inpainters import get_inpainter
from artifactsdk.rectify.metrics import region_psnr, region_ssim
from artifactsdk.rectify.zoom_in import repair

REGION_SOURCES = ("detected", "truth")


@dataclass(frozen=True)
class InpainterScores:
    inpainter: str
    psnr_after: float
    ssim_after: float
    area_before: float | None       # mean detected artifact share of the image (detected regions only)
    area_after: float | None
    seconds_per_image: float

    @property
    def area_reduction(self) -> float | None:
        """Share of all detected artifact area removed (pooled over the images)."""
        if self.area_before is None or self.area_before == 0:
            return None
        return 1.0 - self.area_after / self.area_before

    def to_dict(self) -> dict:
        reduction = self.area_reduction
        return {"inpainter": self.inpainter, "psnr_after": round(self.psnr_after, 3),
                "ssim_after": round(self.ssim_after, 4),
                "area_before": _round(self.area_before, 6), "area_after": _round(self.area_after, 6),
                "area_reduction": _round(reduction, 4), "seconds_per_image": round(self.seconds_per_image, 4)}


@dataclass(frozen=True)
class FixEvaluation:
    data: str
    regions: str                    # "detected" (by the detector) or "truth" (the dataset's masks)
    images: int                     # images with artifacts that were measured
    negatives_skipped: int
    psnr_before: float              # mean over images, inside the true regions, unrepaired
    ssim_before: float
    results: tuple[InpainterScores, ...]

    def to_dict(self) -> dict:
        return {"data": self.data, "regions": self.regions, "images": self.images,
                "negatives_skipped": self.negatives_skipped, "psnr_before": round(self.psnr_before, 3),
                "ssim_before": round(self.ssim_before, 4), "results": [r.to_dict() for r in self.results]}


@dataclass(frozen=True)
class _Sample:
    name: str
    image: np.ndarray
    clean: np.ndarray
    truth: np.ndarray


def evaluate(data: str | Path, inpainters: tuple[str, ...] = ("builtin", "telea"), count: int | None = None,
             detector=None, regions: str = "detected", device: str | None = None,
             on_image: Callable[[int, int], None] | None = None) -> FixEvaluation:
    """Repair up to `count` images with artifacts from `data` with every inpainter, through the
    same zoom-in pipeline, from the detector's regions or the true ones."""
    if regions not in REGION_SOURCES:
        raise InvalidInputError(f"regions must be one of {REGION_SOURCES}, found {regions!r}")
    if regions == "detected" and detector is None:
        raise InvalidInputError("regions='detected' needs a detector (or use regions='truth')")
    painters = [get_inpainter(name) for name in inpainters]
    names, negatives = _names_with_artifacts(Path(data), count)
    before_psnr, before_ssim = [], []
    scores = {p.name: {"psnr": [], "ssim": [], "before": [], "after": [], "seconds": 0.0} for p in painters}
    for done, name in enumerate(names, 1):
        sample = _load(Path(data), name)
        before_psnr.append(region_psnr(sample.image, sample.clean, sample.truth))
        before_ssim.append(region_ssim(sample.image, sample.clean, sample.truth))
        detection = detector.detect(sample.image) if regions == "detected" else None
        for painter in painters:
            started = time.perf_counter()
            entry = scores[painter.name]
            if detection is None:
                repaired, _ = repair(sample.image, sample.truth, painter, device)
            else:
                result = fix_image(detector, sample.image, detection=detection, inpainter=painter, device=device)
                repaired = result.image
                entry["before"].append(result.record.area_before)
                entry["after"].append(result.record.area_after)
            entry["seconds"] += time.perf_counter() - started
            entry["psnr"].append(region_psnr(repaired, sample.clean, sample.truth))
            entry["ssim"].append(region_ssim(repaired, sample.clean, sample.truth))
        if on_image:
            on_image(done, len(names))
    results = tuple(
        InpainterScores(name, float(np.mean(e["psnr"])), float(np.mean(e["ssim"])),
                        float(np.mean(e["before"])) if e["before"] else None,
                        float(np.mean(e["after"])) if e["after"] else None, e["seconds"] / len(names))
        for name, e in scores.items())
    return FixEvaluation(str(data), regions, len(names), negatives, float(np.mean(before_psnr)),
                         float(np.mean(before_ssim)), results)


def _names_with_artifacts(data: Path, count: int | None) -> tuple[list[str], int]:
    for folder in ("images", "labels", "clean"):
        if not (data / folder).is_dir():
            raise DatasetError(f"{data}: expected the folder {folder}/ of a synthetic set with clean originals; "
                               "make one with: artifactsdk synth --out DIR --count N --seed S --with-clean")
    names, negatives = [], 0
    for label in sorted((data / "labels").glob("*.png")):
        if count is not None and len(names) >= count:
            break
        if _read(label, grey=True).any():
            names.append(label.stem)
        else:
            negatives += 1
    if not names:
        raise DatasetError(f"{data}: no image with artifacts (every mask in labels/ is empty)")
    return names, negatives


def _load(data: Path, name: str) -> _Sample:
    image = _read(data / "images" / f"{name}.png")
    clean = _read(data / "clean" / f"{name}.png")
    truth = _read(data / "labels" / f"{name}.png", grey=True) > 0
    if not (image.shape == clean.shape and image.shape[:2] == truth.shape):
        raise DatasetError(f"{data}/*/{name}.png: image {image.shape}, clean {clean.shape} and label "
                           f"{truth.shape} differ in size")
    return _Sample(name, image, clean, truth)


def _read(path: Path, grey: bool = False) -> np.ndarray:
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("L" if grey else "RGB"))
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path}: cannot be read as an image ({error})") from error


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
