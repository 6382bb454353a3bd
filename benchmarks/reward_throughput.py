"""Reward throughput (images/s), in-process and through `artifactsdk serve`, at batch 1 and 8.

    python -m artifactsdk.benchmarks.reward_throughput --images ../shared/data/agiqa3k-dev/images --json out/t.json

Both paths get the same encoded files (decoding is part of the work), one after the
other on the same machine; the server runs as its own process on 127.0.0.1, one worker,
and the client sends sequential requests of `batch` images. Each figure is the median of
`--rounds` passes over the images. Needs the `serve` extra and httpx (both in `dev`).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import click

from artifactsdk.benchmarks.environment import load_average
from artifactsdk.benchmarks.local_server import free_port, wait_until_up
from artifactsdk.benchmarks.output import print_and_save
from artifactsdk.image_io import IMAGE_SUFFIXES
from artifactsdk.reward import ArtifactReward

BATCHES = (1, 8)


def passes(run_batch, images: list[bytes], batch: int, rounds: int) -> list[float]:
    """images/s of each pass of `run_batch` over `images` in batches of `batch`."""
    speeds = []
    for _ in range(rounds):
        started = time.perf_counter()
        for start in range(0, len(images), batch):
            run_batch(images[start:start + batch])
        speeds.append(len(images) / (time.perf_counter() - started))
    return speeds


def in_process(images: list[bytes], bundle: str, threads: int | None, rounds: int) -> dict:
    results = {}
    with ArtifactReward(bundle, threads=threads, batch_size=max(BATCHES)) as reward:
        reward(images[:2])  # warm-up
        for batch in BATCHES:
            results[batch] = passes(reward, images, batch, rounds)
    return results


def through_server(images: list[bytes], bundle: str, threads: int | None, rounds: int) -> dict:
    import httpx

    port = free_port()
    command = [sys.executable, "-m", "artifactsdk.cli", "serve", "--port", str(port), "--bundle", bundle,
               "--batch-size", str(max(BATCHES)), "--log-level", "warning"] + (["--threads", str(threads)] if threads else [])
    server = subprocess.Popen(command)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            wait_until_up(client, server)

            def post(chunk):
                answer = client.post("/v1/reward", files=[("images", (f"{i}.jpg", blob, "image/jpeg"))
                                                          for i, blob in enumerate(chunk)])
                answer.raise_for_status()

            post(images[:2])  # warm-up
            return {batch: passes(post, images, batch, rounds) for batch in BATCHES}
    finally:
        server.terminate()
        server.wait(timeout=60)


@click.command()
@click.option("--images", "folder", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True)
@click.option("--count", type=click.IntRange(min=8), default=32, show_default=True, help="Images per pass.")
@click.option("--rounds", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--bundle", default="default", show_default=True)
@click.option("--threads", type=click.IntRange(min=1), help="Inference threads (default: all cores).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def main(folder, count, rounds, bundle, threads, json_path):
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:count]
    images = [p.read_bytes() for p in files]
    report = {"images": len(images), "folder": str(folder), "bundle": bundle, "threads": threads, "rounds": rounds,
              "load_average_before": load_average(), "images_per_second": {}}
    for path, measure in (("in_process", in_process), ("server", through_server)):
        for batch, speeds in measure(images, bundle, threads, rounds).items():
            report["images_per_second"][f"{path}_batch{batch}"] = {
                "median": round(statistics.median(speeds), 2), "passes": [round(s, 2) for s in speeds]}
    report["load_average_after"] = load_average()
    print_and_save(report, json_path)


if __name__ == "__main__":
    main()
