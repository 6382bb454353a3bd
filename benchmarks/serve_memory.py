"""The server's memory under the two loads of issue 26 ("Why" 1), against `artifactsdk serve`
(default settings, one worker, its own process) on 127.0.0.1:

    python -m artifactsdk.benchmarks.serve_memory --json benchmarks/results/serve-memory.json

1. one /v1/reward request with 64 uploads of a 4096x4096 solid PNG (58 KB each);
2. 30 parallel /v1/detect requests of that PNG.

For each: the status codes (first answers, and final ones after the client retried 503s
after their Retry-After), the server's peak RSS (the kernel's high-water mark, reset before
the load) and its RSS when idle again; the budget it should stay within is the
baseline plus BYTES_PER_PIXEL for each pixel of --pixel-budget (README, "Serve it").
Needs the `serve` extra and httpx (both in `dev`).
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from artifactsdk.benchmarks.environment import load_average
from artifactsdk.benchmarks.local_server import free_port, wait_until_up
from artifactsdk.benchmarks.memory import reset_peak, status_kib
from artifactsdk.benchmarks.output import print_and_save
from artifactsdk.serve.settings import ServerSettings

SIDE = 4096
UPLOADS = 64
PARALLEL = 30
BYTES_PER_PIXEL = 16  # what a budget pixel may cost at the peak (measured 11-15 here): decoders, copies, ONNX Runtime
SETTLE_SECONDS = 3.0
MAX_RETRIES = 5


def solid_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (SIDE, SIDE), (180, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def mib(field: str, pid: int) -> float:
    return round((status_kib(field, pid) or 0) / 1024, 1)


def measured(pid: int, load) -> dict:
    """Run `load` (-> a list of (first status, final status after retries)); the server's
    peak and idle RSS around it."""
    reset_peak(pid)
    started = time.perf_counter()
    statuses = load()
    seconds = time.perf_counter() - started
    peak = mib("VmHWM", pid)
    time.sleep(SETTLE_SECONDS)
    return {"first_statuses": dict(Counter(str(first) for first, _ in statuses)),
            "final_statuses": dict(Counter(str(final) for _, final in statuses)), "seconds": round(seconds, 1),
            "peak_rss_mib": peak, "idle_rss_mib_after": mib("VmRSS", pid)}


def with_retries(send) -> tuple[int, int]:
    """`send()` until it is not 503, waiting the Retry-After it names, as a client would:
    (the first status, the final one)."""
    answer = send()
    first = answer.status_code
    for _ in range(MAX_RETRIES):
        if answer.status_code != 503:
            break
        time.sleep(float(answer.headers.get("retry-after", "1")))
        answer = send()
    return first, answer.status_code


@click.command()
@click.option("--bundle", default="default", show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def main(bundle, json_path):
    import httpx

    image = solid_png()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "artifactsdk.cli", "serve", "--port", str(port), "--bundle",
                               bundle, "--log-level", "warning"])
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            wait_until_up(client, server)
            client.post("/v1/detect", content=image, headers={"content-type": "image/png"})  # warm-up
            time.sleep(SETTLE_SECONDS)
            baseline = mib("VmRSS", server.pid)

            def reward_load():
                files = [("images", (f"{i}.png", image, "image/png")) for i in range(UPLOADS)]
                return [with_retries(lambda: client.post("/v1/reward", files=files))]

            def detect_load():
                def detect(_):
                    return with_retries(lambda: client.post("/v1/detect", content=image,
                                                            headers={"content-type": "image/png"}))

                with ThreadPoolExecutor(PARALLEL) as pool:
                    return list(pool.map(detect, range(PARALLEL)))

            settings = ServerSettings()
            report = {"png_bytes": len(image), "side": SIDE, "load_average_before": load_average(),
                      "pixel_budget": settings.pixel_budget, "baseline_rss_mib": baseline,
                      "budget_rss_mib": round(baseline + settings.pixel_budget * BYTES_PER_PIXEL / 2**20, 1),
                      f"reward_{UPLOADS}_uploads": measured(server.pid, reward_load),
                      f"detect_{PARALLEL}_parallel": measured(server.pid, detect_load),
                      "load_average_after": load_average()}
    finally:
        server.terminate()
        server.wait(timeout=60)
    print_and_save(report, json_path)


if __name__ == "__main__":
    main()
