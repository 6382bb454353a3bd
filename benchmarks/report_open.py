"""How long an `artifactsdk report` page takes to open in headless Chromium, one run
(python -m artifactsdk.benchmarks.report_open RESULTS [--screenshot shot.png]).

The report is built from RESULTS (a detect --out folder, detect --jsonl output or a scan
Parquet file) as the command builds it; each timed open is a fresh browser context (no
cache) from navigation start until the page's script has run (body[data-ready]) and every
thumbnail of the first page has been decoded. Target: under 2 s for 500 images.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from artifactsdk.benchmarks.environment import load_average
from artifactsdk.benchmarks.output import save_json
from artifactsdk.benchmarks.timing import LatencyStats
from artifactsdk.report.build import EMBED_MB, build_report
from artifactsdk.report.results import load_items
from artifactsdk.web.browser import launch

TARGET_MS = 2000.0
# Milliseconds from navigation start until the thumbnails in the first screen are decoded
# (the grid's images load lazily: those below the fold load when scrolled to).
OPENED = """async () => {
  const inView = Array.from(document.querySelectorAll('#grid img'))
    .filter((img) => img.getBoundingClientRect().top < innerHeight);
  await Promise.all(inView.map((img) => img.decode().catch(() => null)));
  return { ms: performance.now(), images: inView.length };
}"""


def open_times(report: Path, runs: int, screenshot: Path | None) -> tuple[list[float], int]:
    times = []
    with launch() as browser:
        for run in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(report.as_uri())
            page.wait_for_selector("body[data-ready=true]")
            opened = page.evaluate(OPENED)
            times.append(opened["ms"])
            if screenshot is not None and run == 0:
                page.screenshot(path=str(screenshot))
            context.close()
    return times, opened["images"]


@click.command()
@click.argument("results", type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the report (default: a temporary file).")
@click.option("--runs", default=5, show_default=True, type=click.IntRange(1))
@click.option("--screenshot", type=click.Path(dir_okay=False, path_type=Path), help="Save the first open as PNG.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--embed-mb", type=click.FloatRange(min=0), help="As report's --embed-mb (default: the command's).")
@click.option("--first", type=click.IntRange(min=1), help="Report only the first N records.")
def main(results, out, runs, screenshot, json_path, embed_mb, first):
    load_at_start = load_average()
    with tempfile.TemporaryDirectory() as scratch:
        report = out or Path(scratch) / "report.html"
        items = load_items(results)[:first]
        summary = build_report(items, results, report, embed_mb=EMBED_MB if embed_mb is None else embed_mb)
        times, in_view = open_times(report, runs, screenshot)
        stats = LatencyStats.from_ns([int(ms * 1e6) for ms in times])
        page_bytes = report.stat().st_size
    result = {"results": str(results), "images": len(items), "embedded": summary["embedded"],
              "html_bytes": page_bytes, "thumbnails_in_first_screen": in_view, "open": stats.to_dict(), "target_ms": TARGET_MS,
              "passed": stats.p50_ms < TARGET_MS, "load_average": [load_at_start, load_average()]}
    if json_path:
        save_json(result, json_path)
    click.echo(f"report of {len(items)} images ({page_bytes / 1e6:.2f} MB HTML, pictures "
               f"{'embedded' if summary['embedded'] else 'linked'}): opens in {stats.p50_ms:.0f} ms median "
               f"(min {stats.min_ms:.0f}, max {stats.max_ms:.0f}, {runs} runs, {in_view} thumbnails in view); target < {TARGET_MS:.0f} ms: "
               f"{'met' if result['passed'] else 'MISSED'}")


if __name__ == "__main__":
    main()
