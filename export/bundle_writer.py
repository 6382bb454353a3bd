"""The manifest entries of exported models and the bundle's manifest.json.

No timestamps or absolute paths of the machine go in (only the sources' own
descriptions), so the same export gives the same manifest.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from artifactsdk import __version__
from artifactsdk.export.onnx_export import TASK_OUTPUTS, spatially_dynamic
from artifactsdk.manifest import MANIFEST_NAME, external_data_locations, file_entry, write_manifest
from artifactsdk.preprocess import InputSpec
from artifactsdk.signing import SIGNATURE_NAME
from artifactsdk.thresholds import CLASSES, Thresholds

BUNDLE_NAME = "artifactsdk-default"
MULTIPLE_OF = 32  # the segmenter's stride: any multiple of it is a valid input size


def input_entry(spec: InputSpec, task: str, dynamic_hw: bool | None = None) -> dict:
    dynamic = task == "segmentation" and dynamic_hw is not False
    return spec.to_manifest(dynamic_hw=dynamic, **({"multiple_of": MULTIPLE_OF} if dynamic else {}))


def output_entries(task: str, onnx_path: str | Path) -> list[dict]:
    """Names and meanings from the export table of the outputs the ONNX graph has, shapes as
    declared in it."""
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    shapes = {output.name: [dim.dim_param or dim.dim_value for dim in output.type.tensor_type.shape.dim]
              for output in graph.output}
    return [{"name": output.name, "semantics": output.semantics, "shape": shapes[output.name]}
            for output in TASK_OUTPUTS[task] if output.name in shapes]


def label_entries(config: dict) -> list[dict]:
    """The config's labels; a classifier's carry their prompts."""
    return [{key: label[key] for key in ("index", "key", "name", "prompts") if key in label}
            for label in config.get("labels", [])]


def model_thresholds(config: dict) -> dict:
    """The checkpoint's thresholds, in the shape they are stored in (checked)."""
    stored = config.get("thresholds", {})
    Thresholds.of(stored)
    return {key: (dict(value) if key == CLASSES else float(value)) for key, value in stored.items()}


def onnx_file_entry(bundle_dir: Path, name: str, precision: str, opset: int, quantization: dict | None) -> dict:
    """The record of an ONNX file and of the external data files it loads (each hashed)."""
    extra = {"opset": opset}
    if quantization is not None:
        extra["quantization"] = quantization
    folder = Path(name).parent
    external = [(folder / location).as_posix()
                for location in sorted(external_data_locations(Path(bundle_dir) / name))]
    return file_entry(bundle_dir, name, "onnx", precision, external_data=external, **extra)


def copy_native_checkpoint(weights: Path, bundle_dir: Path, name: str) -> dict:
    """Copy model.safetensors into the bundle for the torch backend; precision = its float dtype."""
    from safetensors import safe_open

    shutil.copyfile(weights, bundle_dir / name)
    with safe_open(str(weights), "pt") as handle:
        dtypes = {str(handle.get_slice(key).get_dtype()) for key in handle.keys()}
    precision = "fp16" if "F16" in dtypes else "fp32"
    return file_entry(bundle_dir, name, "safetensors", precision)


def model_entry(config: dict, files: dict, outputs: list[dict], **records) -> dict:
    """One model of the manifest; `records` adds calibration, accuracy, accuracy_gate, validation."""
    spec = InputSpec.from_manifest(config["input"])
    entry = {"task": config["task"], "architecture": config["architecture"],
             "source": config.get("source") or {"kind": "native", "config": config},
             "input": input_entry(spec, config["task"], spatially_dynamic(config["task"], config["input"])),
             "outputs": outputs,
             "labels": label_entries(config), "thresholds": model_thresholds(config), "files": files}
    entry.update({key: value for key, value in records.items() if value is not None})
    return entry


def write_bundle(bundle_dir: str | Path, models: dict[str, dict], name: str = BUNDLE_NAME) -> dict:
    """Validate and write manifest.json for `models` (role -> model entry); return the manifest."""
    import onnx
    import onnxruntime

    manifest = {"format_version": 1, "name": name, "version": __version__, "sdk_version": __version__,
                "created": f"artifactsdk {__version__} export (onnx {onnx.__version__}, "
                           f"onnxruntime {onnxruntime.__version__})",
                "models": models}
    write_manifest(bundle_dir, manifest)
    return manifest


@contextmanager
def staged_bundle(out: str | Path):
    """Yield a fresh directory next to `out` to export into; when the block succeeds, move its
    files into `out` (the old manifest removed first, the new one moved last). A failed
    export leaves `out` as it was, never a manifest whose hashes no longer match."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}-staging-", dir=out.parent))
    try:
        yield stage
        out.mkdir(exist_ok=True)
        (out / MANIFEST_NAME).unlink(missing_ok=True)
        (out / SIGNATURE_NAME).unlink(missing_ok=True)  # it signed the old manifest
        for path in sorted(stage.iterdir()):
            if path.name != MANIFEST_NAME:
                os.replace(path, out / path.name)
        os.replace(stage / MANIFEST_NAME, out / MANIFEST_NAME)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
