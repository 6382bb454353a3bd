"""Rank image files from fewest to most artifacts (PAL's curation of generated images)."""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from artifactsdk.image_files import same_input

CSV_COLUMNS = ("rank", "source", "reward", "artifact_score", "area", "labels", "error")


@dataclass(frozen=True)
class RankedImage:
    source: Path
    relative: Path  # the name under the folder it was found in
    reward: float
    artifact_score: float
    area: float
    labels: tuple[str, ...]
    is_artifact: bool = False

    def row(self, rank: int) -> dict:
        return {"rank": rank, "source": str(self.source), "reward": round(self.reward, 6),
                "artifact_score": round(self.artifact_score, 6), "area": round(self.area, 6),
                "labels": " ".join(self.labels)}


def rank_images(reward, items: list[tuple[Path, Path]], progress=None) -> tuple[list[RankedImage], list[dict]]:
    """Score (file, relative name) pairs with `reward` in batches of its batch size; return
    them best first (ties in path order) and a failure record per file that could not be read."""
    ranked, failures = [], []
    for start in range(0, len(items), reward.batch_size):
        chunk = items[start:start + reward.batch_size]
        rewards, info = reward([path for path, _ in chunk])
        failed = {error["index"]: error for error in info["errors"]}
        for index, (path, relative) in enumerate(chunk):
            if index in failed:
                failures.append({"source": str(path), "error": failed[index]["error"],
                                 "error_type": failed[index]["error_type"]})
                if progress is not None:
                    progress.note(f"error: {failed[index]['error']}", always=True)
                continue
            ranked.append(RankedImage(path, relative, float(rewards[index]), float(info["artifact_score"][index]),
                                      float(info["area"][index]), tuple(info["labels"][index]),
                                      bool(info["is_artifact"][index])))
        if progress is not None:
            progress.advance(len(chunk))
    ranked.sort(key=lambda image: (-image.reward, str(image.source)))
    return ranked, failures


def write_csv(path: Path, ranked: list[RankedImage], failures: list[dict]) -> None:
    """Every image: the ranked ones best first, then each that failed with its error and no rank."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(image.row(rank) for rank, image in enumerate(ranked, start=1))
        writer.writerows(failures)


def copy_ranked(ranked: list[RankedImage], folder: Path, inputs: list[Path]) -> list[Path]:
    """Copy the images to `folder` as RANK-NAME (001-cat.png), so the folder lists them best
    first. Nothing is ever overwritten or written through a link: when any target name is
    taken (a file, a link, an input), FileExistsError names it and nothing is copied."""
    width = max(3, len(str(len(ranked))))
    targets = [folder / f"{rank:0{width}d}-{image.relative.name}" for rank, image in enumerate(ranked, start=1)]
    taken = next((target for target in targets if os.path.lexists(target)), None)
    if taken is not None:
        clash = same_input(taken, inputs)
        what = f"is the input image {clash}" if clash is not None else "already exists"
        raise FileExistsError(f"{taken} {what}; rank never overwrites a file: copy to another (or an empty) folder.")
    folder.mkdir(parents=True, exist_ok=True)
    for image, target in zip(ranked, targets):
        with open(image.source, "rb") as source, open(target, "xb") as copy:  # "x": never an existing file or link
            shutil.copyfileobj(source, copy)
    return targets
