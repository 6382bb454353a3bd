"""`artifactsdk report RESULTS --out report.html`: detection results as one HTML page."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The HTML file to write.")
@click.option("--embed-limit", type=click.IntRange(min=0), default=None,
              help="Embed every picture up to this many images; above it, thumbnails go to "
                   "<out>_files/ and detail pictures are linked where they lie. [default: 200]")
@click.option("--page-size", type=click.IntRange(min=1), default=None, help="Cards per page. [default: 60]")
def report(results, out, embed_limit, page_size) -> None:
    """Write an HTML report of RESULTS: a `detect --out` folder, `detect --jsonl` (or --json)
    output, a `scan --out` folder or one of its Parquet files. Opens offline, from disk."""
    from artifactsdk.errors import ArtifactSDKError
    from artifactsdk.report.build import EMBED_LIMIT, PAGE_SIZE, build_report
    from artifactsdk.report.results import load_items, read_made_by

    try:
        items = load_items(results)
        summary = build_report(items, results, out, embed_limit=EMBED_LIMIT if embed_limit is None else embed_limit,
                               page_size=PAGE_SIZE if page_size is None else page_size, made_by=read_made_by(results))
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    for item in items:
        if item.error:
            click.echo(f"failed: {item.source}: {item.error}", err=True)
    if summary["without_picture"]:
        click.echo(f"{summary['without_picture']} images are shown without a picture (their files could not be "
                   "read from here; image paths are taken relative to RESULTS' folder, then to this one)", err=True)
    mode = "pictures embedded" if summary["embedded"] else f"thumbnails in {summary['files_dir']}"
    click.echo(f"wrote {out}: {summary['images']} images, {summary['flagged']} flagged, "
               f"{summary['failed']} failed ({mode})")
