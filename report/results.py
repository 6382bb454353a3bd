"""Detection results -> one normalised record per image, whatever wrote them.

Three inputs are read:
- a `detect --out` folder: `<name>.json` per image (Detection.to_dict() + source), with
  `<name>.overlay.png` and `<name>.mask.png` beside it when detect wrote them;
- `detect --jsonl` output (one record per line) or `detect --json` output (one array);
- a `scan --out` folder of Parquet part files, or one Parquet file (read with pyarrow,
  `pip install 'artifactsdk[report]'`), one row per image. Only `source` is required; the columns read when present are `artifact_score`,
  `is_artifact`, `labels` (list of class keys), `scores` (map or struct of class key ->
  probability), `regions` (list of structs with the fields of Region.to_dict()), `size`
  ([width, height]), `error`, `overlay` and `mask` (image paths). `scores`, `labels` and
  `regions` may also be JSON strings. Other columns are ignored.

A record that cannot be understood is reported as a failed item (with why), never fatal:
one without a verdict (neither `artifact_score` nor `is_artifact`), a score that is not a
finite number, a region without a `box` of four numbers or with a non-numeric
`area_fraction`. A failed image is never shown as clean.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from artifactsdk.errors import InvalidInputError, MissingDependencyError
from artifactsdk.thresholds import DEFAULT_THRESHOLDS
from artifactsdk.record_schema import REGION_FIELDS, map_value, types
from artifactsdk.result_folder import MASK_SUFFIX, OVERLAY_SUFFIX, SUMMARY_NAME

# A region's fields the page shows, as detection.schema.json declares them: its numbers in
# [0, 1] (area_fraction, mean_score) and its texts (label, label_name, caption).
REGION_SHARES = tuple(name for name, spec in REGION_FIELDS.items() if spec.get("maximum") == 1)
REGION_TEXTS = tuple(name for name, spec in REGION_FIELDS.items() if types(spec)[0] == "string")


@dataclass
class Item:
    """One image of the report."""

    source: str
    artifact_score: float | None = None
    is_artifact: bool = False
    labels: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    regions: list[dict] = field(default_factory=list)
    size: list[int] | None = None
    error: str | None = None
    image: Path | None = None  # the picture to show: detect's overlay, else the source image
    mask: Path | None = None

    @property
    def area(self) -> float:
        return float(sum(region.get("area_fraction") or 0.0 for region in self.regions))


def _decoded(value, kind: type, what: str):
    """`value` as `kind`, decoding a JSON string and pyarrow's shapes (a map's list of pairs)."""
    if value is None:
        return kind()
    if isinstance(value, str):
        value = json.loads(value)
    if kind is dict:
        value = map_value(value)
    if not isinstance(value, kind):
        raise ValueError(f"'{what}' should be a {kind.__name__}, found {type(value).__name__}")
    return value


def _number(value, what: str) -> float:
    """`value` as a finite float; a bool, a string, NaN or an infinity is malformed."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"'{what}' should be a finite number, found {value!r}")
    return float(value)


def _share(value, what: str) -> float:
    """A score or a share of the image: a number in [0, 1]."""
    number = _number(value, what)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"'{what}' should be in [0, 1], found {number!r}")
    return number


def _region(value, n: int) -> dict:
    """A region as the page draws it: a box of four numbers, numeric shares, text captions."""
    if not isinstance(value, dict):
        raise ValueError(f"region {n} should be an object, found {type(value).__name__}")
    box = value.get("box")
    if not isinstance(box, (list, tuple)) or len(box) != 4:
        raise ValueError(f"region {n} has no 'box' of four numbers (x0, y0, x1, y1)")
    region = {"box": [_number(side, f"region {n} box") for side in box]}
    for key in REGION_SHARES:
        if value.get(key) is not None:
            region[key] = _share(value[key], f"region {n} {key}")
    for key in REGION_TEXTS:
        if value.get(key) is not None:
            region[key] = str(value[key])
    return region


def _size(value) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(
            isinstance(side, int) and not isinstance(side, bool) and side > 0 for side in value):
        raise ValueError(f"'size' should be [width, height] in pixels, found {value!r}")
    return list(value)


def _verdict(record: dict) -> tuple[float | None, bool]:
    """The record's artifact score and verdict; a record with neither is malformed (it must
    not read as clean)."""
    score, flagged = record.get("artifact_score"), record.get("is_artifact")
    if score is None and flagged is None:
        raise ValueError("the record has neither 'artifact_score' nor 'is_artifact'")
    score = None if score is None else _share(score, "artifact_score")
    if flagged is None:
        return score, score >= DEFAULT_THRESHOLDS["decision"]
    if not isinstance(flagged, bool):
        raise ValueError(f"'is_artifact' should be true or false, found {flagged!r}")
    return score, flagged


def _resolved(path, base: Path) -> Path | None:
    """An image path of a record: absolute, or relative to the results' folder, or (as detect
    writes the paths it was given) to the current folder."""
    if not path:
        return None
    path = Path(path)
    if path.is_absolute() or not (base / path).exists() and path.exists():
        return path
    return base / path


def to_item(record: dict, base: Path, where: str) -> Item:
    """A raw record -> an Item; a record that breaks the format becomes a failed Item."""
    source = record.get("source")
    if not source:
        return Item(source=where, error=f"{where}: the record has no 'source'")
    if record.get("error"):
        return Item(source=str(source), error=str(record["error"]))
    try:
        score, flagged = _verdict(record)
        item = Item(source=str(source), artifact_score=score, is_artifact=flagged,
                    labels=[str(label) for label in _decoded(record.get("labels"), list, "labels")],
                    scores={str(k): _share(v, f"scores {k}")
                            for k, v in _decoded(record.get("scores"), dict, "scores").items() if v is not None},
                    regions=[_region(region, n) for n, region in
                             enumerate(_decoded(record.get("regions"), list, "regions"), 1)],
                    size=_size(record.get("size")))
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
        return Item(source=str(source), error=f"{where}: {exc}")
    item.image = _resolved(record.get("overlay"), base) or _resolved(source, base)
    item.mask = _resolved(record.get("mask"), base)
    return item


def _from_folder(folder: Path) -> list[Item]:
    items = []
    for path in sorted(folder.rglob("*.json")):
        if path.name == SUMMARY_NAME and path.parent == folder:
            continue
        stem = path.with_suffix("")
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            items.append(Item(source=str(path), error=f"{path}: not a JSON record ({exc})"))
            continue
        if not isinstance(record, dict):
            items.append(Item(source=str(path), error=f"{path}: expected one JSON object"))
            continue
        overlay, mask = stem.with_name(stem.name + OVERLAY_SUFFIX), stem.with_name(stem.name + MASK_SUFFIX)
        record.setdefault("overlay", str(overlay) if overlay.is_file() else None)
        record.setdefault("mask", str(mask) if mask.is_file() else None)
        items.append(to_item(record, folder, str(path)))
    return items


def _summary_records(text: str) -> list | None:
    """The "records" of a whole-document JSON object (detect --json's output), else None."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:  # JSON lines, one record per line
        return None
    return document["records"] if isinstance(document, dict) and isinstance(document.get("records"), list) else None


def _from_json_lines(path: Path) -> list[Item]:
    text = path.read_text(encoding="utf-8")
    rows = _summary_records(text)  # detect --json: the run summary with its "records"
    if rows is None and text.lstrip().startswith("["):  # an earlier detect --json: one array
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path}: not a JSON array of records ({exc})") from exc
    if rows is not None:
        return [to_item(row, path.parent, f"{path} item {n}") if isinstance(row, dict)
                else Item(source=f"{path} item {n}", error="not a JSON object") for n, row in enumerate(rows, 1)]
    items = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:  # detect's summary lines on stderr may have been mixed in
            items.append(Item(source=f"{path} line {n}", error=f"not a JSON record ({exc.msg})"))
            continue
        items.append(to_item(row, path.parent, f"{path} line {n}") if isinstance(row, dict)
                     else Item(source=f"{path} line {n}", error="not a JSON object"))
    return items


def _from_parquet(path: Path) -> list[Item]:
    """Rows of one Parquet file, or of a `scan --out` folder's part files."""
    try:
        import pyarrow.parquet as pq

        from artifactsdk.scan.results import read_results
    except ModuleNotFoundError as exc:
        raise MissingDependencyError("pyarrow", "report", "Reading a Parquet file (scan results)") from exc
    try:
        rows = (read_results(path) if path.is_dir() else pq.read_table(path)).to_pylist()
    except Exception as exc:  # pyarrow raises its own error types for a bad file
        raise InvalidInputError(f"{path}: not a readable Parquet file ({exc})") from exc
    base = path if path.is_dir() else path.parent
    return [to_item(row, base, f"{path} row {n}") for n, row in enumerate(rows, 1)]


def read_made_by(path: str | Path) -> list[dict]:
    """What made a scan's results (the provenance in its Parquet files' metadata: artifactsdk
    version, bundle, model sha256s, thresholds, time), one record per run; [] for others."""
    path = Path(path)
    if not (path.suffix.lower() == ".parquet" or path.is_dir() and any(path.glob("*.parquet"))):
        return []
    from artifactsdk.scan.results import read_provenance

    try:
        return read_provenance(path)
    except (OSError, ValueError):  # pyarrow's errors: the items say what is wrong with the file
        return []


def load_items(path: str | Path) -> list[Item]:
    """The items of a detect --out folder, a scan --out folder, a .jsonl / .json file or a
    .parquet file."""
    path = Path(path)
    if path.is_dir():
        items = _from_parquet(path) if any(path.glob("*.parquet")) else _from_folder(path)
    elif not path.is_file():
        raise InvalidInputError(f"{path}: no such file or folder (expected a detect --out folder, "
                                "a .jsonl file or a .parquet file).")
    elif path.suffix.lower() == ".parquet":
        items = _from_parquet(path)
    else:
        items = _from_json_lines(path)
    if not items:
        raise InvalidInputError(f"{path}: holds no detection records.")
    return items
