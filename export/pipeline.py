"""One export, end to end: checkpoint -> fp32 ONNX (validated) -> int8 / fp16 -> accuracy gate -> bundle."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from artifactsdk.calibration.reader import preprocess_batch
from artifactsdk.calibration.sources import ImageSet
from artifactsdk.export.accuracy_gate import TASK_ROLE, GateResult, gate, require_pass
from artifactsdk.export.bundle_writer import (
    copy_native_checkpoint,
    model_entry,
    onnx_file_entry,
    output_entries,
    staged_bundle,
    write_bundle,
)
from artifactsdk.export.fp16 import convert_fp16
from artifactsdk.export.heldout import HeldOutSet
from artifactsdk.export.onnx_export import export_onnx, output_names, spatially_dynamic
from artifactsdk.export.int8_judge import ModelScoring, write_int8
from artifactsdk.export.settings import NATIVE, ExportSettings
from artifactsdk.export.simplify import simplify_onnx
from artifactsdk.export.validate import ValidationReport, compare_outputs, require_match
from artifactsdk.preprocess import InputSpec
from artifactsdk.runtimes.onnxruntime_backend import onnx_file_backend
from artifactsdk.runtimes.torch_backend import module_backend

VALIDATION_BATCH = 8
STRIDE = 32


@dataclass(frozen=True)
class ModelExport:
    role: str
    entry: dict
    validation: ValidationReport | None
    gate: GateResult | None


def validation_batches(images: list[np.ndarray], spec: InputSpec, task: str, count: int,
                       dynamic_hw: bool | None = None) -> list[np.ndarray]:
    """`count` real images: one alone, then batches of 8 (dynamic batch); a segmenter also gets
    two images at another multiple-of-32 size (dynamic height and width)."""
    chosen = images[:count]
    batches = [preprocess_batch(chosen[:1], spec)]
    batches += [preprocess_batch(chosen[i:i + VALIDATION_BATCH], spec)
                for i in range(1, len(chosen), VALIDATION_BATCH)]
    if task == "segmentation" and dynamic_hw is not False:
        other = InputSpec(spec.height + 2 * STRIDE, spec.width + STRIDE, spec.mean, spec.std,
                          spec.colour_order, spec.resize, spec.name)
        batches.append(preprocess_batch(chosen[:2], other))
    return batches


def export_model(model, config: dict, weights: Path | None, bundle_dir: Path, settings: ExportSettings,
                 heldout: HeldOutSet, calibration: ImageSet | None = None, write_onnx=None) -> ModelExport:
    """Export one loaded checkpoint into `bundle_dir`; raise ExportError on a failed check.
    A model from outside the SDK (export/sources) has no native `weights` and may bring
    its own fp32 ONNX writer, `write_onnx(path, opset)`."""
    task = config["task"]
    role = TASK_ROLE[task]
    settings = replace(settings, int8=settings.int8.for_role(role))
    spec = InputSpec.from_manifest(config["input"])
    dynamic_hw = spatially_dynamic(task, config["input"])
    bundle_dir = Path(bundle_dir)
    bundle_dir.mkdir(parents=True, exist_ok=True)
    paths = {precision: bundle_dir / f"{role}.{precision}.onnx" for precision in settings.precisions}

    _write_fp32(write_onnx or (lambda path, opset: export_onnx(model, task, spec, path, opset, dynamic_hw)),
                paths["fp32"], settings.opset)
    validation = None
    if settings.validate:
        exported = onnx_file_backend(paths["fp32"])
        # the torch reference names as many outputs as the graph traced from it has
        reference = module_backend(lambda: model, spec.to_manifest(), output_names(task, len(exported.output_names)))
        report = compare_outputs(reference.run_batch, exported.run_batch,
                                 validation_batches(heldout.images, spec, task, settings.validation_images, dynamic_hw),
                                 settings.atol)
        validation = require_match(report, f"the fp32 ONNX {role}")
    files = {"fp32": onnx_file_entry(bundle_dir, paths["fp32"].name, "fp32", settings.opset, None)}
    outputs = output_entries(task, paths["fp32"])

    scoring = ModelScoring(role, config, spec, outputs, heldout, settings)
    accuracy = {"fp32": scoring.evaluate(paths["fp32"])}
    record = fallback = None
    if "int8" in settings.precisions:
        record, attempt = write_int8(scoring, paths["fp32"], paths["int8"], calibration, accuracy["fp32"])
        if attempt.keeps_decisions or not attempt.gate_passed:  # a failed gate fails the export below
            accuracy["int8"] = attempt.accuracy
            files["int8"] = onnx_file_entry(bundle_dir, paths["int8"].name, "int8", settings.opset,
                                            {**settings.int8.to_dict(), **attempt.measured})
        else:
            paths["int8"].unlink()
            fallback = {"int8": attempt.fallback_record(settings.int8)}
    if "fp16" in settings.precisions:
        convert_fp16(paths["fp32"], paths["fp16"])
        files["fp16"] = onnx_file_entry(bundle_dir, paths["fp16"].name, "fp16", settings.opset,
                                        {"keep_io_types": True})
        accuracy["fp16"] = scoring.evaluate(paths["fp16"])
    result = require_pass(gate(role, accuracy, settings.max_drop, heldout.description, len(heldout)))
    if weights is not None and settings.keeps(NATIVE):
        files[NATIVE] = copy_native_checkpoint(weights, bundle_dir, f"{role}.safetensors")
    # made for the export, not shipped; but a kept int8 pipeline that runs fp32 keeps its fp32 file
    runs_instead = {fallback["int8"]["runs"]} if fallback and settings.keeps("int8") else set()
    for name in [name for name in files if not settings.keeps(name) and name not in runs_instead]:
        (bundle_dir / files.pop(name)["path"]).unlink()
    entry = model_entry(config, files, outputs, calibration=record.to_dict() if record else None,
                        accuracy=accuracy, accuracy_gate=result.to_dict(),
                        validation=validation.to_dict() if validation else None, precision_fallback=fallback)
    return ModelExport(role, entry, validation, result)


def _write_fp32(write_onnx, target: Path, opset: int) -> None:
    """The raw export, simplified into `target`."""
    with tempfile.TemporaryDirectory(prefix="artifactsdk-export-") as work:
        raw = Path(work) / "raw.onnx"
        write_onnx(raw, opset)
        simplify_onnx(raw, target)


def export_checkpoints(checkpoints: dict[str, Path], bundle_dir: str | Path, settings: ExportSettings,
                       heldout: HeldOutSet, calibration: ImageSet | None = None) -> dict:
    """Export every checkpoint directory (role -> dir) into one bundle; return the manifest."""
    # imports torch: only when this runs
    from artifactsdk.models import load_checkpoint
    from artifactsdk.models.checkpoint import WEIGHTS_FILE

    entries = {}
    with staged_bundle(bundle_dir) as stage:
        for role, directory in checkpoints.items():
            model, config = load_checkpoint(directory)
            exported = export_model(model, config, Path(directory) / WEIGHTS_FILE, stage, settings,
                                    heldout, calibration)
            entries[exported.role] = exported.entry
        manifest = write_bundle(stage, entries)
    return manifest
