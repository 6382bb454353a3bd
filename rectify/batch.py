"""Repairing a batch of image files into a folder (`artifactsdk fix`): per image
OUT/NAME.png, optionally OUT/NAME.comparison.png, and one JSON line in OUT/fix.jsonl
(the before/after record, or the error). An image that fails is recorded and skipped."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from artifactsdk.detection import DetectionFailure
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.image_files import OutputNames
from artifactsdk.progress import Progress
from artifactsdk.rectify.comparison import comparison_image
from artifactsdk.rectify.fix import fix_image
from artifactsdk.run_summary import RunSummary


@dataclass
class FixRun:
    out_dir: Path
    records: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> RunSummary:
        """The run summary every many-image command prints: processed = repaired, flagged =
        those that had artifact area to repair; the mean areas before and after in details."""
        count = max(1, len(self.records))
        areas = {f"mean_area_{when}": round(sum(r[f"area_{when}"] for r in self.records) / count, 6)
                 for when in ("before", "after")}
        return RunSummary(len(self.records), sum(r["area_before"] > 0 for r in self.records), len(self.failed), 0,
                          self.seconds, str(self.out_dir), areas)


def fix_files(detector, images: list[tuple[Path, Path]], unreadable: list[dict], out_dir: Path, painter,
              rounds: int, device: str, save_comparison: bool, progress: Progress) -> FixRun:
    """Repair each (path, relative name) of `images`; `unreadable` (inputs already found
    bad) go into the log first."""
    run = FixRun(out_dir, failed=list(unreadable))
    out_dir.mkdir(parents=True, exist_ok=True)
    names = OutputNames(out_dir)
    started = time.perf_counter()
    with (out_dir / "fix.jsonl").open("w") as log:
        for entry in unreadable:
            log.write(json.dumps(entry) + "\n")
        for path, relative in images:
            try:
                entry = fix_one(detector, path, names.stem(relative), painter, rounds, device, save_comparison)
            except ArtifactSDKError as error:
                entry = DetectionFailure.of(str(path), error).to_dict()
                run.failed.append(entry)
                progress.note(f"{path}: {error}", always=True)
            else:
                run.records.append(entry)
            log.write(json.dumps(entry) + "\n")
            progress.advance()
    run.seconds = time.perf_counter() - started
    return run


def fix_one(detector, path: Path, stem: Path, painter, rounds: int, device: str, save_comparison: bool) -> dict:
    from PIL import Image

    result = fix_image(detector, path, inpainter=painter, rounds=rounds, device=device)
    output = stem.with_name(stem.name + ".png")
    Image.fromarray(result.image).save(output)
    entry = {"source": str(path), "output": str(output), **result.to_dict()}
    if save_comparison:
        comparison = stem.with_name(stem.name + ".comparison.png")
        comparison_image(result).save(comparison)
        entry["comparison"] = str(comparison)
    return entry
