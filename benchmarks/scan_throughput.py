"""Throughput of `artifactsdk detect` against `artifactsdk scan` (local engine, and Ray
with 1 and 2 actors) on one folder, one after another in one run, each as the command a
user runs (a subprocess, model loading included in its wall time).

Per engine: images/s over the scan loop (detect's and the local scan's own timers,
Ray's job time: actor start and model load included, `ray.init` not) and over the whole
command; the end-to-end time per image of each model stream (the wall per image times the number
of model calls running side by side) against the models' own time per image (from the
rows' timings_ms: the image's share of each model call); peak resident memory of the
command's process and of each Ray worker (VmHWM, sampled).

    python -m artifactsdk.benchmarks.scan_throughput FOLDER --json out/scan.json [--baseline DIR]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import click

from artifactsdk.benchmarks.environment import load_average
from artifactsdk.benchmarks.memory import status_kib
from artifactsdk.benchmarks.output import save_json

RAY_WORKER_TAG = "ScanActor"  # Ray names its actor processes after the callable class


def _hwm_mb(pid: int) -> float:
    return (status_kib("VmHWM", pid) or 0) / 1024


def _processes_titled(tag: str) -> list[int]:
    """Linux processes whose command line (or title, which Ray sets) contains `tag`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class MemorySampler:
    """Peak RSS of a command and of the Ray actor processes it starts (Linux /proc)."""

    def __init__(self, pid: int, interval: float = 0.25):
        self.root, self.interval = pid, interval
        self.main_mb, self.workers_mb = 0.0, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.main_mb = max(self.main_mb, _hwm_mb(self.root))
            for pid in _processes_titled(RAY_WORKER_TAG):
                self.workers_mb[pid] = max(self.workers_mb.get(pid, 0.0), _hwm_mb(pid))


def _run(command: list[str], env: dict | None = None) -> tuple[float, dict, MemorySampler]:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    sampler = MemorySampler(process.pid)
    stdout, stderr = process.communicate()
    sampler.stop()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise click.ClickException(f"{' '.join(command)} failed:\n{stderr[-2000:]}")
    summary = json.loads(stdout) if "--json" in command else {}  # the run summary (summary.schema.json)
    return wall, summary, sampler


def _model_ms(results: Path) -> tuple[int, float]:
    """(rows without error, mean model milliseconds per image) of a scan's results."""
    # imports pyarrow: only when this runs
    from artifactsdk.scan.results import read_results

    rows = [row for row in read_results(results).to_pylist() if row["error"] is None]
    per_image = [sum(ms for stage, ms in row["timings_ms"] if stage in ("classifier", "segmenter")) for row in rows]
    return len(rows), sum(per_image) / max(1, len(per_image))


def measure(folder: Path, workdir: Path, batch_size: int, workers: int, streams: int,
            baseline: Path | None = None) -> dict:
    cli = [sys.executable, "-m", "artifactsdk.cli"]
    files = [p for p in folder.iterdir() if p.is_file()]
    results: dict[str, dict] = {"images": len(files), "load_average_at_start": load_average()}

    detects = {"detect-baseline": {"PYTHONPATH": str(baseline)}} if baseline else {}
    for name, env in {**detects, "detect": None}.items():
        wall, _, sampler = _run([*cli, "detect", str(folder), "--out", str(workdir / name), "--quiet"], env)
        summary = json.loads((workdir / name / "summary.json").read_text())
        results[name] = {"processed": summary["processed"], "loop_seconds": summary["seconds"], "wall_seconds": wall,
                         "peak_rss_mb": sampler.main_mb}

    # the same threads everywhere: `workers` decode threads and `streams` single-threaded model
    # calls side by side, in one process, one actor, or two actors of half the streams each
    single = ["--workers", str(workers), "--threads", "1"]
    engines = {
        "scan-local": [*single, "--streams", str(streams)],
        "scan-ray-1-actor": ["--engine", "ray", "--concurrency", "1", "--cpus-per-actor", "1", *single,
                             "--streams", str(streams)],
        "scan-ray-2-actors": ["--engine", "ray", "--concurrency", "2", "--cpus-per-actor", "0.75", *single,
                              "--streams", str(max(1, streams // 2))],
    }
    for name, options in engines.items():
        out = workdir / name
        concurrency = int(options[options.index("--concurrency") + 1]) if "--concurrency" in options else 1
        model_streams = concurrency * int(options[options.index("--streams") + 1])
        wall, summary, sampler = _run([*cli, "scan", str(folder), "--out", str(out), "--batch-size",
                                       str(batch_size), "--json", *options])
        processed, model_ms = _model_ms(out)
        results[name] = {"processed": processed, "loop_seconds": summary["seconds"], "wall_seconds": wall,
                         "model_ms_per_image": model_ms, "peak_rss_mb": sampler.main_mb,
                         "ray_worker_peak_rss_mb": sorted(sampler.workers_mb.values()) or None,
                         "ray_list_seconds": summary["details"].get("list_seconds"),
                         "ray_init_seconds": summary["details"].get("init_seconds"),
                         "streams": model_streams}
    for entry in results.values():
        if isinstance(entry, dict):
            entry["images_per_second"] = entry["processed"] / entry["loop_seconds"]
            entry["images_per_second_wall"] = entry["processed"] / entry["wall_seconds"]
            entry["ms_per_image"] = 1000 * entry["loop_seconds"] / entry["processed"]
            if "model_ms_per_image" in entry:  # per model stream: N side by side take N x the wall per image
                entry["end_to_end_over_model"] = (entry["ms_per_image"] * entry["streams"]
                                                  / entry["model_ms_per_image"])
    results["load_average_at_end"] = load_average()
    return results


def markdown(results: dict) -> str:
    detect = results.get("detect-baseline", results["detect"])["images_per_second"]
    lines = ["| path | images/s (loop) | images/s (whole command) | x detect | ms / image | model ms / image "
             "| end-to-end / model | peak RSS MB (command; Ray workers) |", "|---|---|---|---|---|---|---|---|"]
    for name in ("detect-baseline", "detect", "scan-local", "scan-ray-1-actor", "scan-ray-2-actors"):
        if name not in results:
            continue
        entry = results[name]
        model = entry.get("model_ms_per_image")
        workers = entry.get("ray_worker_peak_rss_mb")
        memory = f"{entry['peak_rss_mb']:.0f}" + (f"; {', '.join(f'{m:.0f}' for m in workers)}" if workers else "")
        model_cells = f"{model:.1f} | {entry['end_to_end_over_model']:.2f}" if model else "- | -"
        lines.append(f"| {name} | {entry['images_per_second']:.1f} | {entry['images_per_second_wall']:.1f} | "
                     f"{entry['images_per_second'] / detect:.2f} | {entry['ms_per_image']:.1f} | {model_cells} | "
                     f"{memory} |")
    return "\n".join(lines)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--batch-size", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Decode threads of the local scan and of each Ray actor.")
@click.option("--streams", type=click.IntRange(min=1), default=2, show_default=True,
              help="Model calls side by side in the local scan and the single Ray actor (half each for 2 actors).")
@click.option("--baseline", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Also time `detect` from this folder holding another version's `artifactsdk` package "
                   "(put first on PYTHONPATH); the 'x detect' column then divides by it.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def main(folder, batch_size, workers, streams, baseline, json_path):
    """Time detect, the local scan and the Ray scan (1 and 2 actors) on FOLDER."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory(prefix="artifactsdk-scan-bench-") as tmp:
        results = measure(folder, Path(tmp), batch_size, workers, streams, baseline)
    results["settings"] = {"folder": str(folder), "batch_size": batch_size, "workers": workers, "streams": streams,
                           "baseline": str(baseline) if baseline else None}
    if json_path:
        save_json(results, json_path)
    click.echo(markdown(results))
    click.echo(f"load average: start {results['load_average_at_start']}, end {results['load_average_at_end']}")


if __name__ == "__main__":
    main()
