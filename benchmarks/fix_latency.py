"""Latency of one repair: a 512x512 image with one to three artifact regions, fixed through
the zoom-in pipeline (python -m artifactsdk.benchmarks.fix_latency --data DIR).

Regions come from the dataset's true masks (the repair alone), or, with --bundle, from the
detector (the whole `fix_image`: detect, repair, detect again). Warm-up calls are
excluded; each image is timed several times; statistics pool all timed calls.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np
from PIL import Image

from artifactsdk.benchmarks.environment import bench_environment, load_average
from artifactsdk.benchmarks.timing import LatencyStats, RunPolicy, time_calls
from artifactsdk.detector import Detector
from artifactsdk.rectify.fix import fix_image
from artifactsdk.rectify.inpainters import get_inpainter
from artifactsdk.rectify.zoom_in import plan, repair

TARGET_SECONDS = 2.0


def pick_images(data: Path, count: int, size: int = 512) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Up to `count` images of `size` whose true mask plans one to three regions."""
    picked = []
    for label in sorted((data / "labels").glob("*.png")):
        truth = np.asarray(Image.open(label)) > 0
        if truth.shape != (size, size) or not 1 <= plan(truth, truth.shape).regions <= 3:
            continue
        image = np.asarray(Image.open(data / "images" / label.name).convert("RGB"))
        picked.append((label.stem, image, truth))
        if len(picked) == count:
            break
    if not picked:
        raise click.ClickException(f"{data}: no {size}x{size} image with one to three artifact regions")
    return picked


@click.command()
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A synthetic set (artifactsdk synth): images/ and labels/.")
@click.option("--images", "count", default=10, show_default=True, type=click.IntRange(1))
@click.option("--inpainter", default="builtin", show_default=True)
@click.option("--threads", default="1,2", show_default=True, help="torch CPU thread counts to time, comma-separated.")
@click.option("--runs", default=3, show_default=True, type=click.IntRange(1), help="Timed calls per image.")
@click.option("--warmup", default=1, show_default=True, type=click.IntRange(0), help="Untimed calls per image.")
@click.option("--bundle", default=None, help="Time fix_image with this bundle instead of the repair alone.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
def main(data, count, inpainter, threads, runs, warmup, bundle, json_path):
    import torch

    load_at_start = load_average()
    painter = get_inpainter(inpainter)
    detector = None
    if bundle is not None:
        detector = Detector.load(bundle=bundle)
    images = pick_images(data, count)
    policy = RunPolicy(warmup=warmup, runs=runs, duration_s=None)
    rows = []
    for thread_count in (int(t) for t in threads.split(",")):
        torch.set_num_threads(thread_count)
        samples: list[int] = []
        for _, image, truth in images:
            if detector is None:
                samples += time_calls(lambda: repair(image, truth, painter, "cpu"), policy)
            else:
                samples += time_calls(lambda: fix_image(detector, image, inpainter=painter, device="cpu"), policy)
        stats = LatencyStats.from_ns(samples)
        rows.append({"threads": thread_count, **stats.to_dict(),
                     "under_target": stats.p50_ms / 1e3 < TARGET_SECONDS})
        click.echo(f"{painter.name} threads={thread_count}: median {stats.p50_ms / 1e3:.3f} s, "
                   f"p90 {stats.p90_ms / 1e3:.3f} s, max {stats.max_ms / 1e3:.3f} s over {stats.runs} calls "
                   f"({len(images)} images, {'fix_image' if detector else 'repair only'})", err=True)
    report = {"what": "fix_image" if detector else "repair (true regions)", "inpainter": painter.name,
              "images": [name for name, _, _ in images], "policy": policy.to_dict(), "results": rows,
              "target_seconds": TARGET_SECONDS,
              "environment": bench_environment(max(r["threads"] for r in rows), [], load_at_start)}
    text = json.dumps(report, indent=2)
    if json_path:
        json_path.write_text(text + "\n")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
