"""In-browser latency of the exported detector against the Python runtime, one run
(python -m artifactsdk.benchmarks.web_latency [--json out.json]).

The same image, the same int8 models: `Detector.detect` with ONNX Runtime on the CPU, and
`ArtifactDetector.detect` of the export-web folder in headless Chromium (WASM, SIMD,
threads: the page is served cross-origin isolated). Both are timed end to end from the
encoded file to the record, after warm-up calls; WebGPU is timed too when the browser
has an adapter with fp16 shaders (headless Chromium on a machine without a GPU offers
SwiftShader, which has none; reported as skipped, with the reason).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import click

from artifactsdk import Detector
from artifactsdk.benchmarks.environment import load_average
from artifactsdk.benchmarks.output import save_json
from artifactsdk.benchmarks.timing import LatencyStats, RunPolicy, measure
from artifactsdk.web.browser import launch, serve
from artifactsdk.web.export import CONFIG_NAME, export_web

DEFAULT_IMAGE = "synth-000007.png"

# Warm-up and timed calls inside the page; returns per-call totals and stage times in ms.
BROWSER_RUN = """async ({ image, device, warmup, runs, threads }) => {
  const m = await import('./artifact-detector.js');
  if (device === 'webgpu') {
    try { await m.checkWebGpu(); } catch (error) { return { skipped: error.message }; }
  }
  const detector = await m.loadDetector({ device, threads });
  for (let i = 0; i < warmup; i++) await detector.detect(image);
  const totals = [], stages = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const { timings } = await detector.detect(image);
    totals.push(performance.now() - started);
    stages.push(timings);
  }
  await detector.release();
  return { totals, stages, threads: device === 'wasm' ? threads : null, isolated: crossOriginIsolated,
           agent: navigator.userAgent };
}"""


def _median_stages(stages: list[dict]) -> dict:
    import numpy as np

    return {name: round(float(np.median([s[name] for s in stages])), 2) for name in stages[0]}


def browser_latency(web_dir: Path, image: Path, runs: int, warmup: int, device: str, threads: int) -> dict:
    shutil.copy(image, web_dir / image.name)
    with serve(web_dir) as url, launch(webgpu=device == "webgpu") as browser:
        page = browser.new_page()
        # Not the demo page: it loads its own detector, and ONNX Runtime Web fixes its thread
        # count at the first load. Any document of the (cross-origin isolated) site will do.
        page.goto(url + "detector.json")
        result = page.evaluate(BROWSER_RUN, {"image": image.name, "device": device, "warmup": warmup, "runs": runs,
                                             "threads": threads})
    if "skipped" in result:
        return result
    stats = LatencyStats.from_ns([int(ms * 1e6) for ms in result["totals"]])
    return {"latency": stats.to_dict(), "stages_median_ms": _median_stages(result["stages"]),
            "threads": result["threads"], "cross_origin_isolated": result["isolated"], "browser": result["agent"]}


def python_latency(bundle: str, image: Path, runs: int, warmup: int, threads: int) -> dict:
    with Detector.load(bundle, backend="ort-cpu", precision="int8", threads=threads) as detector:
        stats = measure(lambda: detector.detect(image), RunPolicy(warmup=warmup, runs=runs, duration_s=None))
        timings = detector.detect(image).timings_ms
    return {"latency": stats.to_dict(), "threads": threads,
            "stages_ms_one_call": {k: round(v, 2) for k, v in timings.items()}}


def markdown(result: dict) -> str:
    rows = ["| runtime | threads | median ms | p90 ms | runs |", "|---|---|---|---|---|"]
    for name, entry in result["runtimes"].items():
        if "skipped" in entry:
            rows.append(f"| {name} | - | skipped: {entry['skipped']} | | |")
            continue
        latency = entry["latency"]
        rows.append(f"| {name} | {entry['threads'] or '-'} | {latency['p50_ms']:.1f} | {latency['p90_ms']:.1f} | "
                    f"{latency['runs']} |")
    ratio = result.get("browser_over_python")
    if ratio:
        rows.append(f"\nBrowser WASM / Python ORT median: {ratio:.2f}x")
    return "\n".join(rows)


@click.command()
@click.option("--bundle", default="default", show_default=True)
@click.option("--web", "web_dir", type=click.Path(file_okay=False, path_type=Path),
              help="An export-web folder to time (default: export the bundle to a temporary folder).")
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=f"The image to detect in (default: the package sample {DEFAULT_IMAGE}).")
@click.option("--runs", default=20, show_default=True, type=click.IntRange(1))
@click.option("--warmup", default=3, show_default=True, type=click.IntRange(0))
@click.option("--threads", type=click.IntRange(1),
              help="Threads of both runtimes (default: all cores, as the page served by serve.py uses).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def main(bundle, web_dir, image, runs, warmup, threads, json_path):
    threads = threads or os.cpu_count() or 1
    image = image or Path(str(resources.files("artifactsdk").joinpath("samples", DEFAULT_IMAGE)))
    load_at_start = load_average()
    with tempfile.TemporaryDirectory() as scratch:
        if web_dir is None:
            web_dir = Path(scratch) / "web"
            export_web(bundle, web_dir)
        config = json.loads((web_dir / CONFIG_NAME).read_text(encoding="utf-8"))
        wasm_precision = config["wasm_precision"]
        has_fp16 = all("fp16" in model["files"] for model in config["models"].values())
        runtimes = {"python-ort-int8": python_latency(bundle, image, runs, warmup, threads)}
        for device, name in (("wasm", f"browser-wasm-{wasm_precision}"), ("webgpu", "browser-webgpu-fp16")):
            if device == "webgpu" and not has_fp16:
                runtimes[name] = {"skipped": "the export has no fp16 models (the bundle has no fp32 / fp16)"}
                continue
            runtimes[name] = browser_latency(web_dir, image, runs, warmup, device, threads)
    result = {"image": str(image), "runtimes": runtimes, "load_average": [load_at_start, load_average()]}
    browser = runtimes[f"browser-wasm-{wasm_precision}"]
    if "latency" in browser:
        result["browser_over_python"] = browser["latency"]["p50_ms"] / runtimes["python-ort-int8"]["latency"]["p50_ms"]
    if json_path:
        save_json(result, json_path)
    click.echo(markdown(result))


if __name__ == "__main__":
    main()
