"""One export, end to end: checkpoint -> fp32 ONNX (validated) -> int8 / fp16 -> accuracy gate -> bundle."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from artifactsdk.calibration.reader import ImageBatchReader, preprocess_batch
from artifactsdk.calibration.record import CalibrationRecord
from artifactsdk.calibration.sources import ImageSet
from artifactsdk.errors import ExportError
from artifactsdk.export.accuracy_gate import DEFAULT_MAX_DROP, TASK_ROLE, GateResult, gate, require_pass, score
from artifactsdk.export.bundle_writer import (
    copy_native_checkpoint,
    model_entry,
    onnx_file_entry,
    output_entries,
    staged_bundle,
    write_bundle,
)
from artifactsdk.export.heldout import HeldOutSet
from artifactsdk.export.onnx_export import DEFAULT_OPSET, export_onnx, output_names, spatially_dynamic
from artifactsdk.export.predictors import OnnxPredictor, TorchPredictor, image_predictor
from artifactsdk.export.quantize import Int8Settings
from artifactsdk.export.validate import DEFAULT_ATOL, ValidationReport, compare_outputs, require_match
from artifactsdk.preprocess import InputSpec

PRECISIONS = ("fp32", "int8", "fp16")
VALIDATION_BATCH = 8
STRIDE = 32


@dataclass(frozen=True)
class ExportOptions:
    precisions: tuple[str, ...] = ("fp32", "int8")
    opset: int = DEFAULT_OPSET
    validate: bool = True
    atol: float = DEFAULT_ATOL
    validation_images: int = 32
    int8: Int8Settings = field(default_factory=Int8Settings)
    max_drop: float = DEFAULT_MAX_DROP
    quiet: bool = True

    def __post_init__(self):
        unknown = [p for p in self.precisions if p not in PRECISIONS]
        if unknown:
            raise ExportError(f"unknown precision {unknown}; expected some of {', '.join(PRECISIONS)}.")
        if "fp32" not in self.precisions:
            raise ExportError("--precision must include fp32: it is the graph int8 and fp16 are made from "
                              "and the reference the accuracy gate compares them with.")
        if self.max_drop < 0:
            raise ExportError(f"--max-drop is {self.max_drop}; it is the points a precision may lose, >= 0.")


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


def _finite(metrics: dict) -> dict:
    """NaN (a metric without positives) is not JSON: it is written as null."""
    return {key: (None if isinstance(value, float) and math.isnan(value) else
                  _finite(value) if isinstance(value, dict) else value)
            for key, value in metrics.items()}


def export_model(model, config: dict, weights: Path | None, bundle_dir: Path, options: ExportOptions,
                 heldout: HeldOutSet, calibration: ImageSet | None = None, write_onnx=None) -> ModelExport:
    """Export one loaded checkpoint into `bundle_dir`; raise ExportError on a failed check.
    A model from outside the SDK (export/sources) has no native `weights` and may bring
    its own fp32 ONNX writer, `write_onnx(path, opset)`."""
    task = config["task"]
    role = TASK_ROLE[task]
    spec = InputSpec.from_manifest(config["input"])
    dynamic_hw = spatially_dynamic(task, config["input"])
    bundle_dir = Path(bundle_dir)
    bundle_dir.mkdir(parents=True, exist_ok=True)
    paths = {precision: bundle_dir / f"{role}.{precision}.onnx" for precision in options.precisions}

    _write_fp32(write_onnx or (lambda path, opset: export_onnx(model, task, spec, path, opset, dynamic_hw)),
                paths["fp32"], options.opset)
    validation = None
    if options.validate:
        report = compare_outputs(TorchPredictor(model, output_names(task)), OnnxPredictor(paths["fp32"]),
                                 validation_batches(heldout.images, spec, task, options.validation_images, dynamic_hw),
                                 options.atol)
        validation = require_match(report, f"the fp32 ONNX {role}")
    files = {"fp32": onnx_file_entry(bundle_dir, paths["fp32"].name, "fp32", options.opset, None)}
    outputs = output_entries(task, paths["fp32"])

    def predictor(path: Path):
        return image_predictor(role, OnnxPredictor(path), spec, outputs)

    def evaluate(path: Path) -> dict:
        return _finite(score(role, predictor(path), config, heldout.samples, options.quiet))

    accuracy = {"fp32": evaluate(paths["fp32"])}
    record = fallback = None
    if "int8" in options.precisions:
        record, attempt = _write_int8(role, spec, paths, calibration, options, heldout, evaluate, accuracy["fp32"],
                                      config, predictor if role == "classifier" else None)
        if attempt.keeps_decisions or not attempt.gate_passed:  # a failed gate fails the export below
            accuracy["int8"] = attempt.accuracy
            files["int8"] = onnx_file_entry(bundle_dir, paths["int8"].name, "int8", options.opset,
                                            {**options.int8.to_dict(), **attempt.measured})
        else:
            paths["int8"].unlink()
            fallback = {"int8": attempt.fallback_record(options.int8)}
    if "fp16" in options.precisions:
        from artifactsdk.export.fp16 import convert_fp16

        convert_fp16(paths["fp32"], paths["fp16"])
        files["fp16"] = onnx_file_entry(bundle_dir, paths["fp16"].name, "fp16", options.opset,
                                        {"keep_io_types": True})
        accuracy["fp16"] = evaluate(paths["fp16"])
    result = require_pass(gate(role, accuracy, options.max_drop, heldout.description, len(heldout)))
    if weights is not None:
        files["torch"] = copy_native_checkpoint(weights, bundle_dir, f"{role}.safetensors")
    entry = model_entry(config, files, outputs, calibration=record.to_dict() if record else None,
                        accuracy=accuracy, accuracy_gate=result.to_dict(),
                        validation=validation.to_dict() if validation else None, precision_fallback=fallback)
    return ModelExport(role, entry, validation, result)


def _write_fp32(write_onnx, target: Path, opset: int) -> None:
    """The raw export, simplified into `target`."""
    from artifactsdk.export.simplify import simplify_onnx

    with tempfile.TemporaryDirectory(prefix="artifactsdk-export-") as work:
        raw = Path(work) / "raw.onnx"
        write_onnx(raw, opset)
        simplify_onnx(raw, target)


@dataclass(frozen=True)
class Int8Attempt:
    """The int8 model the export ended with, and whether it may replace fp32."""
    accuracy: dict
    gate_passed: bool
    measured: dict  # output_sqnr_db, label_agreement (classifiers), float_search
    keeps_decisions: bool  # label agreement reached (always true without the criterion)

    def fallback_record(self, settings: Int8Settings) -> dict:
        """The manifest's account of why this model runs fp32 where int8 was asked for."""
        return {"runs": "fp32", "min_label_agreement": settings.min_label_agreement, **self.measured,
                "accuracy": self.accuracy,
                "reason": f"int8 kept the fp32 labels on {self.measured['label_agreement']:.1%} of the held-out "
                          f"images (needed {settings.min_label_agreement:.1%}) with up to {settings.float_search} "
                          "of its most sensitive modules in float"}


def _write_int8(role: str, spec: InputSpec, paths: dict, calibration: ImageSet | None, options: ExportOptions,
                heldout: HeldOutSet, evaluate, fp32_accuracy: dict, config: dict,
                predict_labels=None) -> tuple[CalibrationRecord, Int8Attempt]:
    """Calibrate and quantize paths["fp32"] into paths["int8"]. The int8 model is acceptable
    when it passes the accuracy gate, its outputs' SNR against fp32 on calibration images
    is at least `min_sqnr_db` (a metric can hold while single decisions flip) and, for a
    classifier (`predict_labels`: path -> image predictor), its label sets match fp32's on
    at least `min_label_agreement` of the held-out images; if it is not and the settings
    allow, search for the modules to keep in float."""
    from artifactsdk.export.label_agreement import agreement, label_sets
    from artifactsdk.export.quantize import Quantizer
    from artifactsdk.export.sensitivity import PROBE_IMAGES, output_sqnr, run_outputs, search_float_groups
    from artifactsdk.progress import Progress

    if calibration is None:
        raise ExportError("int8 needs calibration images: pass --calib DIR or --calib-synth N --seed S.")
    settings = options.int8
    progress = Progress(f"calibrating {role} ({settings.calibration.method})", len(calibration), options.quiet)
    reader = ImageBatchReader(calibration.images, spec, settings.batch_size, on_batch=progress.update)
    record = CalibrationRecord.of(settings.calibration.method, settings.preset, calibration.hashes,
                                  calibration.description, settings.calibration.to_dict())
    feeds = [{spec.name: preprocess_batch([image], spec)} for image in calibration.images[:PROBE_IMAGES]]
    reference = run_outputs(paths["fp32"], feeds)
    judge_labels = predict_labels is not None and settings.min_label_agreement > 0
    reference_labels = label_sets(predict_labels(paths["fp32"]), config, heldout.images) if judge_labels else None
    state: dict = {}

    def acceptable(path: Path) -> bool:
        state["accuracy"] = evaluate(path)
        state["measured"] = {"output_sqnr_db": round(output_sqnr(reference, run_outputs(path, feeds)), 2)}
        state["gate"] = gate(role, {"fp32": fp32_accuracy, "int8": state["accuracy"]}, options.max_drop,
                             heldout.description, len(heldout)).passed
        state["labels"] = True
        if judge_labels:
            share = agreement(reference_labels, label_sets(predict_labels(path), config, heldout.images))
            state["measured"]["label_agreement"] = round(share, 4)
            state["labels"] = share >= settings.min_label_agreement
        return state["gate"] and state["labels"] and state["measured"]["output_sqnr_db"] >= settings.min_sqnr_db

    with Quantizer(paths["fp32"], reader, settings) as quantizer:
        progress.close()
        search = {}
        if not acceptable(quantizer.write(paths["int8"])) and settings.float_search:
            search = search_float_groups(quantizer, paths["int8"], feeds, acceptable, settings.float_search).to_dict()
    return record, Int8Attempt(state["accuracy"], state["gate"], {**state["measured"], **search}, state["labels"])


def export_checkpoints(checkpoints: dict[str, Path], bundle_dir: str | Path, options: ExportOptions,
                       heldout: HeldOutSet, calibration: ImageSet | None = None) -> dict:
    """Export every checkpoint directory (role -> dir) into one bundle; return the manifest."""
    from artifactsdk.models import load_checkpoint
    from artifactsdk.models.checkpoint import WEIGHTS_FILE

    entries = {}
    with staged_bundle(bundle_dir) as stage:
        for role, directory in checkpoints.items():
            model, config = load_checkpoint(directory)
            exported = export_model(model, config, Path(directory) / WEIGHTS_FILE, stage, options,
                                    heldout, calibration)
            entries[exported.role] = exported.entry
        manifest = write_bundle(stage, entries)
    return manifest
