"""Real images for training and evaluation: folders of photographs, and generated images
with human quality ratings (a CSV of file name, prompt and mean opinion score).

The rated set is split by prompt, so the images a generator made for one prompt (its
normal and its low-step version) are all on the same side of the split."""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from artifactsdk.errors import DatasetError
from artifactsdk.image_io import IMAGE_SUFFIXES

_SUFFIX = re.compile(r"\.[A-Za-z][A-Za-z0-9]*$")  # ".jpg", but not the ".5" of "sd1.5"
_TRAILING_NUMBER = re.compile(r"_\d+$")


@dataclass(frozen=True)
class RatedImage:
    name: str      # file name inside the images folder
    prompt: str
    mos: float     # higher = better quality
    group: str     # e.g. the generator and setting, "sd1.5_lowstep"


def group_from_name(name: str) -> str:
    """The file name without its suffix and trailing _NNN: 'sd1.5_lowstep_012.jpg' -> 'sd1.5_lowstep'."""
    return _TRAILING_NUMBER.sub("", _SUFFIX.sub("", Path(name).name))


def generator_of(group: str) -> str:
    """The generator of a rated group: its name up to the first '_' (AGIQA-3K's
    'sd1.5_lowstep' and 'sd1.5_normal' are both 'sd1.5')."""
    return group.split("_")[0]


def read_csv_rows(path: Path, columns: list[str]) -> list[dict]:
    """The rows of a CSV with a header that has every one of `columns`."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            found = reader.fieldnames or []
            missing = [column for column in columns if column not in found]
            if missing:
                raise DatasetError(f"{path}: no column {', '.join(map(repr, missing))}; expected "
                                   f"{', '.join(map(repr, columns))}, found {', '.join(map(repr, found)) or 'no header'}.")
            rows = list(reader)
    except FileNotFoundError:
        raise DatasetError(f"{path}: ratings CSV is missing") from None
    if not rows:
        raise DatasetError(f"{path}: no rows below the header; expected one row per image.")
    return rows


def read_ratings(path: str | Path, mos_column: str = "mos_quality", name_column: str = "name",
                 prompt_column: str = "prompt", group_column: str | None = None) -> list[RatedImage]:
    """The rows of a ratings CSV; the group comes from ``group_column``, else from the file name."""
    path = Path(path)
    rows = read_csv_rows(path, [name_column, mos_column] + ([group_column] if group_column else []))
    ratings = []
    for line, row in enumerate(rows, start=2):
        name = row[name_column].strip()
        group = row[group_column].strip() if group_column else group_from_name(name)
        ratings.append(RatedImage(name, row.get(prompt_column) or "", _mos_value(row[mos_column], path, line), group))
    return ratings


def _mos_value(text: str, path: Path, line: int) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise DatasetError(f"{path}, line {line}: MOS {text!r} is not a number.") from None


def split_by_prompt(ratings: list[RatedImage], heldout_fraction: float) -> tuple[list, list]:
    """(train, held-out): an image is held out when the hash of its prompt (its name when
    it has none) falls in the first ``heldout_fraction`` of the hash range."""
    def held_out(item: RatedImage) -> bool:
        digest = hashlib.sha256((item.prompt or item.name).encode("utf-8")).digest()
        return int.from_bytes(digest[:4], "big") / 2 ** 32 < heldout_fraction
    return [r for r in ratings if not held_out(r)], [r for r in ratings if held_out(r)]


def write_ratings(path: str | Path, ratings: list[RatedImage]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "prompt", "mos_quality", "group"])
        writer.writerows([r.name, r.prompt, r.mos, r.group] for r in ratings)
    return path


def image_files(folder: str | Path) -> list[Path]:
    """The images directly inside `folder`, sorted; DatasetError when there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder; expected a folder of images")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DatasetError(f"{folder}: no images found; expected files ending in {', '.join(IMAGE_SUFFIXES)}.")
    return files
