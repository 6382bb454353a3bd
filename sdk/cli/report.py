"""`artifactsdk report RESULTS --out report.html`: detection results as one HTML page."""

from __future__ import annotations

from pathlib import Path

import click

from artifactsdk.errors import ArtifactSDKError, InvalidInputError


@click.command("report")
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The HTML file to write.")
@click.option("--embed-mb", type=click.FloatRange(min=0), default=None,
              help="Embed the pictures while they take at most this many MB; above it, thumbnails go to "
                   "<out>_files/ and detail pictures are linked where they lie. [default: 4]")
@click.option("--page-size", type=click.IntRange(min=1), default=None, help="Cards per page. [default: 60]")
def report(results, out, embed_mb, page_size) -> None:
    """Write an HTML report of RESULTS: a `detect --out` folder, `detect --jsonl` (or --json)
    output, a `scan --out` folder or one of its Parquet files. Opens offline, from disk."""
    from artifactsdk.image_files import one_line
    from artifactsdk.report.build import EMBED_MB, PAGE_SIZE, build_report
    from artifactsdk.report.results import load_items, read_made_by

    try:
        items = load_items(results)
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        summary = build_report(items, results, out, embed_mb=EMBED_MB if embed_mb is None else embed_mb,
                               page_size=PAGE_SIZE if page_size is None else page_size,
                               made_by=read_made_by(results))
    except InvalidInputError as exc:  # what --out would overwrite or delete: refused, kept
        raise click.BadParameter(str(exc), param_hint="--out") from exc
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    for item in items:
        if item.error:
            click.echo(f"failed: {one_line(item.source)}: {one_line(item.error)}", err=True)  # crafted text stays inert
    if summary["without_picture"]:
        click.echo(f"{summary['without_picture']} images are shown without a picture (their files could not be "
                   "read from here; image paths are taken relative to RESULTS' folder, then to this one)", err=True)
    mode = "pictures embedded" if summary["embedded"] else f"thumbnails in {summary['files_dir']}"
    click.echo(f"wrote {out}: {summary['images']} images, {summary['flagged']} flagged, "
               f"{summary['failed']} failed ({mode})")
