"""Detect, repair, detect again: the loop behind `fix_image` and `artifactsdk fix`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from artifactsdk.errors import InvalidInputError
from artifactsdk.rectify.dependencies import resolve_device
from artifactsdk.rectify.inpainters import Inpainter, get_inpainter
from artifactsdk.rectify.zoom_in import RepairPass, ZoomInConfig, repair


@dataclass(frozen=True)
class RoundRecord:
    """One repair round: detected artifact area (share of the image) before and after."""

    round: int
    area_before: float
    area_after: float
    kept: bool                 # False when the round did not shrink the area and was undone
    repair: RepairPass

    def to_dict(self) -> dict:
        return {"round": self.round, "area_before": round(self.area_before, 6),
                "area_after": round(self.area_after, 6), "kept": self.kept, "repair": self.repair.to_dict()}


@dataclass(frozen=True)
class FixRecord:
    """The before/after record of one image's repair."""

    inpainter: str
    device: str
    area_before: float
    area_after: float
    score_before: float | None
    score_after: float | None
    rounds: tuple[RoundRecord, ...]
    stopped: str               # why the loop ended: "clean", "rounds", "no-progress"
    seconds: float

    @property
    def area_reduction(self) -> float:
        """Share of the detected artifact area that the repair removed (0 when there was none)."""
        return 0.0 if self.area_before == 0 else 1.0 - self.area_after / self.area_before

    def to_dict(self) -> dict:
        return {"inpainter": self.inpainter, "device": self.device,
                "area_before": round(self.area_before, 6), "area_after": round(self.area_after, 6),
                "area_reduction": round(self.area_reduction, 4),
                "score_before": _rounded(self.score_before), "score_after": _rounded(self.score_after),
                "rounds": [r.to_dict() for r in self.rounds], "stopped": self.stopped,
                "seconds": round(self.seconds, 4)}


@dataclass(frozen=True)
class FixResult:
    """The repaired image, the detections it was judged by, and the record."""

    image: np.ndarray = field(repr=False)
    record: FixRecord
    before: object = field(default=None, repr=False)   # Detection of the input
    after: object = field(default=None, repr=False)    # Detection of the returned image

    def to_dict(self) -> dict:
        return self.record.to_dict()


def fix_image(detector, image, detection=None, inpainter: str | Inpainter = "builtin", rounds: int = 1,
              device: str | None = None, config: ZoomInConfig = ZoomInConfig()) -> FixResult:
    """Repair what `detector` finds in `image` (anything `Detector.detect` accepts), in up to
    `rounds` rounds; in each, a window whose detected area did not shrink is put back as it
    was, and a round after the first is kept only if it shrinks the detected area.
    Regions are the detection's pixels over its own `pixel_threshold`."""
    started = time.perf_counter()
    if rounds < 1:
        raise InvalidInputError(f"rounds must be at least 1, found {rounds}")
    painter = get_inpainter(inpainter)
    torch_device = resolve_device(device)
    pixels = detector.decode(image).pixels
    before = detection if detection is not None else detector.detect(pixels)
    current, current_detection = pixels, before
    records: list[RoundRecord] = []
    stopped = "rounds"
    for number in range(1, rounds + 1):
        area = current_detection.artifact_area
        if area == 0.0:
            stopped = "clean"
            break
        before_mask = current_detection.binary_mask()
        repaired, repair_pass = repair(current, before_mask, painter, torch_device, config)
        judged = detector.detect(repaired)
        repair_pass = undo_unimproved_windows(current, before_mask, repaired, judged.binary_mask(), repair_pass)
        if not all(window.kept for window in repair_pass.windows):
            judged = detector.detect(repaired) if any(w.kept for w in repair_pass.windows) else current_detection
        area_after = judged.artifact_area
        kept = number == 1 or area_after < area
        records.append(RoundRecord(number, area, area_after, kept, repair_pass))
        if kept:
            current, current_detection = repaired, judged
        if area_after >= area:
            stopped = "no-progress"
            break
    record = FixRecord(painter.name, str(torch_device), before.artifact_area,
                       current_detection.artifact_area, _score(before),
                       _score(current_detection), tuple(records), stopped, time.perf_counter() - started)
    return FixResult(current, record, before, current_detection)


def undo_unimproved_windows(original: np.ndarray, mask_before: np.ndarray, repaired: np.ndarray,
                            mask_after: np.ndarray, repair_pass: RepairPass) -> RepairPass:
    """Put back, in `repaired` (in place), the original pixels of every window in which the
    detector finds no less artifact than before: an inpainter can paint something that
    looks more wrong than what it replaced (a smooth fill reads as blur). Windows are
    disjoint (merged when they overlap), so each is judged on its own."""
    windows = []
    for record in repair_pass.windows:
        x0, y0, x1, y1 = record.window
        improved = mask_after[y0:y1, x0:x1].sum() < mask_before[y0:y1, x0:x1].sum()
        if not improved:
            repaired[y0:y1, x0:x1] = original[y0:y1, x0:x1]
        windows.append(replace(record, kept=bool(improved)))
    return replace(repair_pass, windows=tuple(windows))


def _score(detection) -> float | None:
    score = getattr(detection, "artifact_score", None)
    return None if score is None else float(score)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
