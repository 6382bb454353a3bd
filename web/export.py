"""A bundle -> a static web folder that detects artifacts in the browser.

    DIR/index.html, demo.js         the demo page (drop an image, see the overlay)
    DIR/artifact-detector.js        the detector module (pre / post-processing of the runtime)
    DIR/detector.json               every number that module reads from the bundle
    DIR/models/<role>.int8.onnx     the models WASM runs (int8, or fp32); <role>.fp16.onnx for WebGPU
    DIR/ort/                        onnxruntime-web, vendored from npm
    DIR/serve.py                    a server that sets COOP / COEP (WASM threads)
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

from artifactsdk import __version__
from artifactsdk.bundle import Bundle
from artifactsdk.errors import ExportError, MissingDependencyError
from artifactsdk.image_io import DEFAULT_MAX_SIDE, MIN_SIDE
from artifactsdk.postprocess import CAPTION_PLACES, DEFAULT_IMAGE_SCORE, EVIDENCE_CELL_PIXELS, \
    EVIDENCE_TOP_FRACTION, MIN_REGION_FRACTION, WHOLE_IMAGE_PLACE
from artifactsdk.web.ort_package import ORT_WEB_VERSION, ort_web_dist, vendor

PAGE_FILES = ("artifact-detector.js", "index.html", "demo.js")
WASM_PRECISIONS = ("int8", "fp32")
CONFIG_NAME = "detector.json"


def detector_config(bundle: Bundle, files: dict[str, dict[str, str]], wasm_precision: str) -> dict:
    """What the JavaScript module needs to repeat `Detector` on this bundle (full mode)."""
    models = {}
    for role in bundle.roles:
        model = bundle.model(role)
        models[role] = {"input": model["input"], "outputs": model["outputs"], "files": files[role]}
    return {
        "format_version": 1,
        "sdk_version": __version__,
        "bundle": bundle.manifest.get("name"),
        "onnxruntime_web": ORT_WEB_VERSION,
        "wasm_precision": wasm_precision,
        "models": models,
        "thresholds": bundle.thresholds().to_dict(),
        "labels": bundle.model("classifier").get("labels", []) if "classifier" in bundle.roles else [],
        "trained_classes": list(bundle.source_config("classifier").get("trained_classes") or []),
        "image_score": bundle.source_config("segmenter").get("image_score") or DEFAULT_IMAGE_SCORE,
        "min_region_fraction": MIN_REGION_FRACTION,
        "evidence": {"top_fraction": EVIDENCE_TOP_FRACTION, "cell_pixels": EVIDENCE_CELL_PIXELS},
        "caption_places": {"grid": [list(row) for row in CAPTION_PLACES], "whole": WHOLE_IMAGE_PLACE},
        "image": {"max_side": DEFAULT_MAX_SIDE, "min_side": MIN_SIDE},
    }


def _check_out(out: Path, bundle_root: Path) -> None:
    """Refuse to write into the bundle, or into a folder that is not an earlier export."""
    resolved, root = out.resolve(), bundle_root.resolve()
    if resolved == root or root in resolved.parents or resolved in root.parents:
        raise ExportError(f"--out {out} overlaps the bundle {bundle_root}; choose a separate folder.")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / CONFIG_NAME).is_file())):
        raise ExportError(f"--out {out} exists and is not an earlier export-web folder; choose a new or empty folder.")


def _webgpu_source(bundle: Bundle, role: str):
    """The bundle's fp16 ONNX file of `role`, else its fp32 one (converted), else None."""
    return bundle.find_file(role, "onnx", "fp16") or bundle.find_file(role, "onnx", "fp32")


def _model_files(bundle: Bundle, role: str, models_dir: Path, wasm_precision: str, webgpu: bool) -> dict[str, str]:
    chosen = bundle.find_file(role, "onnx", wasm_precision)
    if chosen is None:
        raise ExportError(f"bundle {bundle.root} has no {wasm_precision} ONNX {role}; export one with "
                          f"'artifactsdk export --precision fp32,{wasm_precision}'.")
    files = {wasm_precision: f"models/{role}.{wasm_precision}.onnx"}
    shutil.copyfile(chosen.path, models_dir / f"{role}.{wasm_precision}.onnx")
    if webgpu:
        target = models_dir / f"{role}.fp16.onnx"
        source = _webgpu_source(bundle, role)
        if source is None:
            raise ExportError(f"bundle {bundle.root} has neither an fp16 nor an fp32 ONNX {role} to "
                              "make the WebGPU model from; use --no-webgpu.")
        if source.precision == "fp16":
            shutil.copyfile(source.path, target)
        else:
            try:
                from artifactsdk.export.fp16 import convert_fp16  # onnx, from the export extra (optional here)
            except ModuleNotFoundError as exc:
                raise MissingDependencyError(f"the WebGPU (fp16) model is converted with '{exc.name}': "
                                             "pip install 'artifactsdk[export]', or use --no-webgpu.") from exc
            convert_fp16(source.path, target)
        files["fp16"] = f"models/{role}.fp16.onnx"
    return files


def export_web(bundle: str | Path, out: str | Path, *, wasm_precision: str = "int8", webgpu: bool | None = None,
               ort_from: Path | None = None, trusted_keys=None) -> dict:
    """Write the web folder; returns a summary (files and their sizes).

    `webgpu`: also write fp16 models for WebGPU; None = when the bundle has fp16 or fp32
    models to make them from (the shipped bundle is int8 only: no WebGPU build).

    `wasm_precision`: the models WASM runs, "int8" (2.4x smaller; its int8 kernels round
    differently from native ONNX Runtime's, so masks agree with the Python int8 runtime
    to an IoU near 0.98) or "fp32" (the same results as the Python fp32 runtime).
    `trusted_keys`: as in Detector.load (refuse a bundle none of them signed)."""
    if wasm_precision not in WASM_PRECISIONS:
        raise ExportError(f"unknown WASM precision {wasm_precision!r}; expected one of {', '.join(WASM_PRECISIONS)}")
    opened = Bundle.open(bundle, trusted_keys)
    out = Path(out)
    _check_out(out, opened.root)
    dist = ort_web_dist(source=ort_from)
    if webgpu is None:
        webgpu = all(_webgpu_source(opened, role) is not None for role in opened.roles)
    models_dir = out / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    files = {role: _model_files(opened, role, models_dir, wasm_precision, webgpu) for role in opened.roles}
    config = detector_config(opened, files, wasm_precision)
    (out / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    assets = resources.files("artifactsdk.web").joinpath("assets")
    for name in PAGE_FILES:
        (out / name).write_bytes(assets.joinpath(name).read_bytes())
    (out / "serve.py").write_bytes(resources.files("artifactsdk.web").joinpath("serve.py").read_bytes())
    vendored = vendor(dist, out / "ort", ("wasm", "webgpu") if webgpu else ("wasm",))
    written = sorted(p for p in out.rglob("*") if p.is_file())
    return {"out": str(out), "bundle": str(opened.root), "onnxruntime_web": ORT_WEB_VERSION, "webgpu": webgpu,
            "ort_files": vendored,
            "files": {str(p.relative_to(out)): p.stat().st_size for p in written}}
