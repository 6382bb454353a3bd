"""Items -> one self-contained HTML page (inline CSS and JavaScript, data as JSON).

Small runs embed every picture; larger ones (more than `embed_limit` images) write the
thumbnails into `<report>_files/` and link the detail pictures where they lie, so the
page stays small; the grid always pages.
"""

from __future__ import annotations

import html
import json
import re
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from artifactsdk.errors import InvalidInputError
from artifactsdk.report import pictures
from artifactsdk.report.results import Item
from artifactsdk.result_folder import OVERLAY_SUFFIX

EMBED_LIMIT = 200  # images up to which every picture is embedded in the page
PAGE_SIZE = 60  # cards per page of the grid
THUMB_NAME = re.compile(r"\d{6}\.jpg")


def _check_out(out: Path, items: list[Item], results: Path) -> None:
    if out.suffix.lower() not in (".html", ".htm"):
        raise InvalidInputError(f"--out {out}: the report is an HTML file; give a name ending in .html.")
    inputs = {results.resolve()} | {p.resolve() for item in items for p in (item.image, item.mask) if p}
    if out.resolve() in inputs:
        raise InvalidInputError(f"--out {out} is one of the inputs; outputs never overwrite inputs.")


def _clear_thumbnails(files_dir: Path) -> None:
    """Remove the thumbnails of an earlier report of this name; refuse a folder holding anything else."""
    if not files_dir.exists():
        return
    found = list(files_dir.iterdir()) if files_dir.is_dir() else [files_dir]
    foreign = [p for p in found if not (p.is_file() and THUMB_NAME.fullmatch(p.name))]
    if foreign:
        raise InvalidInputError(f"{files_dir} exists and holds files this report did not write "
                                f"({foreign[0].name}); choose another --out name.")
    for path in found:
        path.unlink()
    files_dir.rmdir()


def _entry(item: Item, index: int, embed: bool, report_dir: Path, files_dir: Path) -> dict:
    entry = {"id": index, "source": item.source, "score": item.artifact_score, "flagged": item.is_artifact,
             "labels": item.labels, "scores": item.scores, "regions": item.regions, "size": item.size,
             "area": item.area, "error": item.error, "thumb": None, "image": None, "mask": None}
    if item.error:
        return entry
    picture = pictures.read_picture(item.image)
    if picture is None:
        entry["note"] = f"{item.image}: the picture could not be read"
        return entry
    entry["shows_overlay"] = item.image is not None and item.image.name.endswith(OVERLAY_SUFFIX)
    thumb = pictures.thumbnail(picture)
    if embed:
        entry["thumb"] = pictures.data_uri(thumb, "JPEG")
        entry["image"] = pictures.data_uri(pictures.detail(picture), "JPEG")
        mask = pictures.mask_png(item.mask)
        entry["mask"] = pictures.data_uri(mask, "PNG") if mask else None
    else:
        thumb_path = files_dir / f"{index:06d}.jpg"
        thumb_path.write_bytes(thumb)
        entry["thumb"] = pictures.relative_link(thumb_path, report_dir)
        entry["image"] = pictures.relative_link(item.image, report_dir)
        entry["mask"] = pictures.relative_link(item.mask, report_dir) if item.mask and item.mask.is_file() else None
    return entry


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
    data = json.dumps({"title": title, "page_size": page_size, "items": entries}, separators=(",", ":"))
    data = data.replace("<", "\\u003c")  # no "</script>" can end the data block early
    page = _asset("report.html")
    for marker, value in (("/*REPORT_CSS*/", _asset("report.css")), ("/*REPORT_JS*/", _asset("report.js")),
                          ("{{TITLE}}", title.replace("&", "&amp;").replace("<", "&lt;")),
                          ("{{MADE_BY}}", html.escape(made_by)), ("{{DATA}}", data)):
        page = page.replace(marker, value)
    return page


def build_report(items: list[Item], results: str | Path, out: str | Path, *, embed_limit: int = EMBED_LIMIT,
                 page_size: int = PAGE_SIZE, workers: int = 2, made_by: list[dict] | None = None) -> dict:
    """Write the report for `items` (read from `results`) to `out`; returns a summary.
    `made_by`: the results' provenance records (results.read_made_by), shown in the header."""
    out, results = Path(out), Path(results)
    _check_out(out, items, results)
    out.parent.mkdir(parents=True, exist_ok=True)
    embed = len(items) <= embed_limit
    files_dir = out.with_name(out.stem + "_files")
    _clear_thumbnails(files_dir)
    if not embed:
        files_dir.mkdir()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        entries = list(pool.map(lambda pair: _entry(pair[1], pair[0], embed, out.parent, files_dir),
                                enumerate(items)))
    out.write_text(render_page(f"Artifacts in {results.name}", entries, page_size, made_by_line(made_by or [])),
                   encoding="utf-8")
    return {"out": str(out), "images": len(items), "embedded": embed,
            "failed": sum(1 for item in items if item.error),
            "flagged": sum(1 for item in items if item.is_artifact and not item.error),
            "without_picture": sum(1 for e in entries if "note" in e),
            "files_dir": None if embed else str(files_dir)}
