"""The bench JSON document as Markdown tables (rendered from the JSON, so a saved run
can be re-rendered: `python -m artifactsdk.benchmarks.markdown out/bench.json`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from artifactsdk.benchmarks.report import PRIMARY_METRIC


def _num(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value != value:  # NaN
        return "n/a"
    return f"{value:,.{digits}f}"


def _ms(value) -> str:
    """Milliseconds with three significant digits for small values, whole ones for large."""
    if value is None:
        return "-"
    digits = 0 if value >= 100 else 1 if value >= 10 else 2 if value >= 1 else 3
    return _num(value, digits)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]


def environment_lines(doc: dict) -> list[str]:
    env = doc["environment"]
    cpu, bench = env["cpu"], env.get("benchmark", {})
    optional = env.get("optional", {})

    def version(name: str) -> str:
        status = optional.get(name, {})
        return status.get("version", "not installed") if status.get("available") else "not installed"

    features = ", ".join(f for f in ("avx2", "avx512", "vnni", "amx") if cpu.get(f)) or "none"
    lines = [f"- CPU: {cpu['model']}, {cpu['logical_cores']} logical cores, features: {features}",
             f"- {env['platform']}; Python {env['python']}, numpy {env['numpy']}, "
             f"onnxruntime {env['onnxruntime']['version']}, torch {version('torch')}, "
             f"onnx {version('onnx')}, TensorRT {version('tensorrt')}",
             f"- threads: {bench.get('threads')}; providers used: {', '.join(bench.get('providers_used', []))}; "
             f"load average (1, 5, 15 min) at start {bench.get('load_average_at_start')}, "
             f"at end {bench.get('load_average_at_end')}"]
    if bench.get("variables"):
        lines.append(f"- environment variables: {bench['variables']}")
    peak = doc.get("machine_peak") or {}
    if peak:
        lines.append("- measured peak through ONNX Runtime: " + ", ".join(
            f"{p} {v['gmacs_per_s']:.0f} GMAC/s ({v['op']} {v['m']}x{v['k']}x{v['n']})" for p, v in peak.items()))
    return lines


def results_table(doc: dict) -> list[str]:
    speedup = {(c["model"], c["batch"], c["subject"]): c["speedup_p50"] for c in doc["comparisons"]
               if c["reference"] == "torch fp32"}
    rows = []
    for r in doc["results"]:
        metric = PRIMARY_METRIC.get(r["model"])
        accuracy = (r.get("accuracy") or {}).get(metric) if metric else None
        lat = r["latency"]
        rows.append([r["model"], r["backend"], r["precision"], str(r["batch"]),
                     _ms(lat["min_ms"]), _ms(lat["p50_ms"]), _ms(lat["p90_ms"]), _ms(lat["p99_ms"]),
                     f"{_ms(lat['mean_ms'])} ± {_ms(lat['std_ms'])}", _num(r["throughput_ips"]),
                     _ms(r["creation_ms"]), _ms(r["first_run_ms"]), _num(r["peak_rss_mb"], 0),
                     _num(r["file_bytes"] / 1e6, 2) if r["file_bytes"] else "-",
                     _num(r["gmacs"], 3), _num(100 * r["fraction_of_peak"] if r["fraction_of_peak"] else None),
                     f"{metric} {_num(accuracy, 3)}" if accuracy is not None else "-",
                     _num(speedup.get((r["model"], r["batch"], f"{r['backend']} {r['precision']}")), 2)])
    return _table(["model", "backend", "precision", "batch", "min ms", "p50 ms", "p90 ms", "p99 ms", "mean ± std ms",
                   "images/s", "create ms", "first run ms", "peak RSS MB", "file MB", "GMAC/call",
                   "% of peak", "accuracy", "x torch fp32"], rows)


def detector_table(doc: dict) -> list[str]:
    rows = []
    for d in doc.get("detector", []):
        stages = d["stages"]
        rows.append([d["backend"], d["precision"], d["image"],
                     *(_ms(stages[s]["p50_ms"]) if s in stages else "-"
                       for s in ("decode", "preprocess", "inference", "postprocess", "mask", "other", "total")),
                     _num(d.get("overhead_ratio"), 2), d.get("split_source", "")])
    return _table(["backend", "precision", "input", "decode p50", "preprocess p50", "inference p50",
                   "postprocess p50", "mask p50", "other p50", "total p50 ms", "total / model inference", "how split"], rows)


def peers_table(doc: dict) -> list[str]:
    """Our segmenter's configurations, then the peers; ratios against `peers.ours` (p50)."""
    peers = doc.get("peers") or {}
    ours = peers.get("ours", "")
    reference = next((r["latency"]["p50_ms"] for r in peers.get("ours_results", [])
                      if f"{r['model']} {r['backend']} {r['precision']}" == ours), None)
    rows = []
    for who, results in (("ours", peers.get("ours_results", [])), ("peer", peers.get("results", []))):
        for r in results:
            p50 = r["latency"]["p50_ms"]
            rows.append([who, r["model"], r["backend"], r["precision"], _num(r.get("params_m")), _ms(p50),
                         _ms(r["creation_ms"]), _num(r["peak_rss_mb"], 0), _num(r.get("gmacs"), 1),
                         _num(100 * r["fraction_of_peak"] if r.get("fraction_of_peak") else None),
                         _num(p50 / reference, 1) if reference else "-"])
    return _table(["", "model", "backend", "precision", "params (M)", "p50 ms", "create ms", "peak RSS MB",
                   "GMAC", "% of peak", f"x {ours} p50"], rows)


def write_markdown(doc: dict, path: Path) -> str:
    """Render `doc` into `path`; return the text."""
    text = render(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


def render(doc: dict) -> str:
    lines = ["# artifactsdk bench", "", f"`{doc['command']}`", "", *environment_lines(doc)]
    if doc["results"]:
        lines += ["", "## Models", "", *results_table(doc)]
    if doc.get("detector"):
        lines += ["", "## Detector end to end (encoded image file to Detection)", "", *detector_table(doc)]
    drops = doc.get("accuracy_drops") or []
    if drops:
        lines += ["", "## Accuracy against fp32", "", *_table(
            ["model", "metric", "configuration", "reference", "reference value", "value", "drop (points)"],
            [[d["model"], d["metric"], d["subject"], d["reference"], _num(d["reference_value"], 4),
              _num(d["value"], 4), _num(d["drop_points"], 2)] for d in drops])]
    if (doc.get("peers") or {}).get("results"):
        lines += ["", "## Peers (random weights: latency only)", "", *peers_table(doc), "",
                  f"Peers part of the run (building, tracing, exporting, timing): {doc['peers']['wall_s']:.0f} s."]
    if doc.get("skipped"):
        lines += ["", "## Skipped (cannot run here)", "", *_table(
            ["model", "backend", "precision", "batch", "reason"],
            [[s["model"], s["backend"], s["precision"], str(s["batch"] or "all"), s["reason"]]
             for s in doc["skipped"]])]
    unavailable = {name: b["reason"] for name, b in doc.get("backends", {}).items() if not b["available"]}
    if unavailable:
        lines += ["", "Backends that cannot run on this machine: " +
                  "; ".join(f"{name}: {reason}" for name, reason in unavailable.items()) + "."]
    for gate in doc.get("gates", []):
        lines += ["", f"Gate {gate['name']} ({gate['threshold']}): {'passed' if gate['passed'] else 'FAILED'}"
                  f" — {gate['message']}"]
    lines += ["", f"Wall time of the run: {doc['wall_s']:.0f} s."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(json.loads(open(sys.argv[1], encoding="utf-8").read())))
