"""Plain-text tables of a bundle: files, torch agreement, accuracy per precision, the gate."""

from __future__ import annotations

from pathlib import Path

from artifactsdk.export.accuracy_gate import GATE_METRIC

PRECISION_ORDER = {"fp32": 0, "int8": 1, "fp16": 2}
COLUMNS = {"segmenter": ("iou", "f1", "auroc", "clean_fp_area"), "classifier": ("macro_f1", "map", "auroc")}


def _number(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def metrics_table(role: str, accuracy: dict[str, dict], reference: dict[str, dict] | None = None) -> str:
    """One row per precision with the eval metrics; with `reference` (the numbers the manifest
    recorded on the same images), the gate metric's difference to them in points."""
    columns = COLUMNS[role]
    header = f"  {'precision':<10}" + "".join(f"{c:>15}" for c in columns)
    if reference is not None:
        header += f"{'vs export':>14}"
    rows = [header]
    for precision, metrics in sorted(accuracy.items(), key=lambda item: PRECISION_ORDER.get(item[0], 9)):
        row = f"  {precision:<10}" + "".join(f"{_number(metrics.get(c)):>15}" for c in columns)
        if reference is not None and precision in reference:
            metric = GATE_METRIC[role]
            delta = 100 * ((metrics.get(metric) or 0.0) - (reference[precision].get(metric) or 0.0))
            row += f"{delta:>+12.2f}pt"
        rows.append(row)
    return "\n".join(rows)


def summary_table(bundle_dir: str | Path, manifest: dict) -> str:
    lines = [f"bundle {bundle_dir} ({manifest['name']} {manifest['version']})"]
    for role, model in manifest["models"].items():
        lines.append(f"{role}: {model['architecture']}, input {model['input']['height']}x{model['input']['width']}")
        for variant, entry in model["files"].items():
            lines.append(f"  {variant:<8} {entry['path']:<28} {entry['bytes'] / 1e6:8.2f} MB  sha256 {entry['sha256'][:16]}")
            exactness = entry.get("quantization", {}).get("integer_exactness")
            if exactness:
                lines.append(f"           integer products exact on: {', '.join(exactness['exact_kernel_paths'])} "
                             f"(worst pair sum {exactness['worst_pair_sum']}, int16 max {exactness['int16_max']})")
        for precision, fallback in model.get("precision_fallback", {}).items():
            lines.append(f"  {precision:<8} -> runs {fallback['runs']}: {fallback['reason']}")
        if "validation" in model:
            worst = max(output["max_abs"] for output in model["validation"]["outputs"])
            lines.append(f"  fp32 ONNX vs torch on {model['validation']['images']} images: max abs diff {worst:.2e}")
        if "accuracy" in model:
            lines.append(metrics_table(role, model["accuracy"]))
        if "accuracy_gate" in model:
            gate = model["accuracy_gate"]
            drops = ", ".join(f"{p} {d + 0.0:+.2f}" for p, d in gate["drop_points"].items()) or "none"
            lines.append(f"  gate: {gate['metric']} points lost vs fp32: {drops} (max {gate['max_drop_points']:.2f})"
                         f" -> {'pass' if gate['passed'] else 'FAIL'}")
    return "\n".join(lines)
