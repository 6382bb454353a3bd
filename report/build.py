"""Items -> one self-contained HTML page (inline CSS and JavaScript, data as JSON).

The page embeds its pictures while they take at most `embed_mb` megabytes; a larger run
writes the thumbnails into `<report>_files/` and links the detail pictures where they lie,
so the page stays small (see files_dir for what that folder may hold); the grid always
pages. The page is rendered by Jinja2 with autoescaping, the data as script-safe JSON.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

from artifactsdk.errors import InvalidInputError
from artifactsdk.report import files_dir, pictures
from artifactsdk.report.results import Item
from artifactsdk.result_folder import OVERLAY_SUFFIX

# Megabytes of pictures a page embeds. Measured on 200 AGIQA-3K images (README, "See the
# results"): 54 KB of pictures per image, so 4 MB embeds about 75 images; 200 made 11 MB.
EMBED_MB = 4.0
PAGE_SIZE = 60  # cards per page of the grid
CHUNK = 16  # images encoded between two looks at the embedding budget
GENERATOR = "artifactsdk report"  # the page's <meta name="generator">: a later report may replace it


def _check_out(out: Path, items: list[Item], results: Path) -> None:
    if out.suffix.lower() not in (".html", ".htm"):
        raise InvalidInputError(f"--out {out}: the report is an HTML file; give a name ending in .html.")
    inputs = {results.resolve()} | {p.resolve() for item in items for p in (item.image, item.mask) if p}
    if out.resolve() in inputs:
        raise InvalidInputError(f"--out {out} is one of the inputs; outputs never overwrite inputs.")
    if os.path.lexists(out) and not _is_report(out):
        raise InvalidInputError(f"--out {out} exists and is not a page artifactsdk report wrote; it is kept. "
                                "Choose another name.")


def _is_report(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with open(path, "rb") as handle:
        return f'<meta name="generator" content="{GENERATOR}">'.encode() in handle.read(1024)


def _entry(item: Item, index: int) -> tuple[dict, object]:
    """The item's data for the page, and its decoded picture (None when it has none)."""
    entry = {"id": index, "source": item.source, "score": item.artifact_score, "flagged": item.is_artifact,
             "labels": item.labels, "scores": item.scores, "regions": item.regions, "size": item.size,
             "area": item.area, "error": item.error, "thumb": None, "image": None, "mask": None}
    if item.error:
        return entry, None
    picture = pictures.read_picture(item.image)
    if picture is None:
        entry["note"] = f"{item.image}: the picture could not be read"
        return entry, None
    entry["shows_overlay"] = item.image is not None and item.image.name.endswith(OVERLAY_SUFFIX)
    return entry, picture


def _embedded(item: Item, index: int) -> dict:
    entry, picture = _entry(item, index)
    if picture is not None:
        entry["thumb"] = pictures.data_uri(pictures.thumbnail(picture), "JPEG")
        entry["image"] = pictures.data_uri(pictures.detail(picture), "JPEG")
        mask = pictures.mask_png(item.mask)
        entry["mask"] = pictures.data_uri(mask, "PNG") if mask else None
    return entry


def _linked(item: Item, index: int, report_dir: Path, folder: Path) -> dict:
    entry, picture = _entry(item, index)
    if picture is not None:
        try:
            thumb = files_dir.write_thumbnail(folder, index, pictures.thumbnail(picture))
        except FileExistsError as exc:
            raise InvalidInputError(f"{exc.filename} is in the way of a thumbnail and is kept; "
                                    "choose another --out name.") from exc
        entry["thumb"] = pictures.relative_link(thumb, report_dir)
        entry["image"] = pictures.relative_link(item.image, report_dir)
        entry["mask"] = pictures.relative_link(item.mask, report_dir) if item.mask and item.mask.is_file() else None
    return entry


def _picture_bytes(entry: dict) -> int:
    return sum(len(entry[key] or "") for key in ("thumb", "image", "mask"))


def _embed_all(items: list[Item], pool: ThreadPoolExecutor, budget_bytes: float) -> list[dict] | None:
    """Every entry with its pictures embedded, or None as soon as they pass the budget."""
    entries, total = [], 0
    for start in range(0, len(items), CHUNK):
        indices = range(start, min(start + CHUNK, len(items)))
        chunk = list(pool.map(lambda index: _embedded(items[index], index), indices))
        total += sum(map(_picture_bytes, chunk))
        if total > budget_bytes:
            return None
        entries += chunk
    return entries


def _asset(name: str) -> str:
    return resources.files("artifactsdk.report").joinpath("assets", name).read_text(encoding="utf-8")


def made_by_line(made_by: list[dict]) -> str:
    """The page header's line about what made the results (scan's Parquet provenance)."""
    runs = []
    for record in made_by:
        bundle = record.get("bundle") or {}
        models = ", ".join(f"{role} {str(model.get('sha256'))[:12]}"
                           for role, model in (record.get("models") or {}).items())
        decision = (record.get("thresholds") or {}).get("decision")
        runs.append(f"artifactsdk {record.get('artifactsdk_version')}, bundle {bundle.get('name')} "
                    f"{bundle.get('version')} ({models}), decision threshold {decision}, {record.get('created')}")
    return ("Made by " + "; ".join(runs)) if runs else ""


def render_page(title: str, entries: list[dict], page_size: int = PAGE_SIZE, made_by: str = "") -> str:
    """The page: every value escaped by Jinja2 (the data through `tojson`, which escapes
    `<`, `>`, `&` and `'`, so no string can end the data block); NaN is refused."""
    environment = Environment(autoescape=True, keep_trailing_newline=True)
    environment.policies["json.dumps_kwargs"] = {"allow_nan": False, "separators": (",", ":")}
    template = environment.from_string(_asset("report.html"))
    return template.render(title=title, generator=GENERATOR, made_by=made_by, css=Markup(_asset("report.css")),
                           js=Markup(_asset("report.js")),
                           data={"title": title, "page_size": page_size, "items": entries})


def build_report(items: list[Item], results: str | Path, out: str | Path, *, embed_mb: float = EMBED_MB,
                 page_size: int = PAGE_SIZE, workers: int = 2, made_by: list[dict] | None = None) -> dict:
    """Write the report for `items` (read from `results`) to `out`; returns a summary.
    `made_by`: the results' provenance records (results.read_made_by), shown in the header."""
    out, results = Path(out), Path(results)
    _check_out(out, items, results)
    folder = files_dir.files_dir_of(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        entries = _embed_all(items, pool, embed_mb * 1e6)
        embedded = entries is not None
        if not embedded:
            files_dir.check_writable(folder)
        files_dir.clear(folder)  # an earlier large report's thumbnails; a folder of someone else's stays
        if not embedded:
            files_dir.create(folder)
            entries = list(pool.map(lambda index: _linked(items[index], index, out.parent, folder),
                                    range(len(items))))
    # _check_out made sure `out` is new or an earlier report (a file, not a link).
    out.write_text(render_page(f"Artifacts in {results.name}", entries, page_size, made_by_line(made_by or [])),
                   encoding="utf-8")
    return {"out": str(out), "images": len(items), "embedded": embedded,
            "failed": sum(1 for item in items if item.error),
            "flagged": sum(1 for item in items if item.is_artifact and not item.error),
            "without_picture": sum(1 for e in entries if "note" in e),
            "files_dir": None if embedded else str(folder)}
