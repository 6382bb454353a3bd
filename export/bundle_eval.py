"""Scoring a written bundle: each ONNX precision of each model on a dataset, with the
metrics of `artifactsdk eval`. Used by `artifactsdk validate` and `artifactsdk eval --bundle`."""

from __future__ import annotations

from pathlib import Path

from artifactsdk.bundle import Bundle
from artifactsdk.errors import BundleError
from artifactsdk.export.accuracy_gate import score
from artifactsdk.preprocess import InputSpec
from artifactsdk.runtimes.onnxruntime_backend import OrtCpuBackend
from artifactsdk.thresholds import Thresholds, stored_thresholds
from artifactsdk.training.predict import image_predictor


def scoring_config(model: dict) -> dict:
    """The checkpoint config embedded in the manifest, or one rebuilt from the labels and
    thresholds for a bundle that has none (every label counts as trained)."""
    if "config" in model.get("source", {}):
        return model["source"]["config"]
    labels = model.get("labels", [])
    keys = [label["key"] for label in labels]
    return {"thresholds": Thresholds.of(stored_thresholds(model)).to_dict(keys),
            "trained_classes": keys, "labels": labels}


def onnx_precisions(model: dict) -> list[str]:
    return [entry["precision"] for entry in model["files"].values() if entry["format"] == "onnx"]


def bundle_predictor(bundle: Bundle, role: str, precision: str):
    """(image -> probabilities, scoring config) of one model's ONNX file at `precision`,
    after verifying that file's hash."""
    model = bundle.model(role)
    found = bundle.find_file(role, "onnx", precision)
    if found is None:
        raise BundleError(f"the bundle's {role} has no {precision} ONNX file; it has "
                          f"{', '.join(onnx_precisions(model)) or 'none'}.")
    predict = image_predictor(role, OrtCpuBackend(found).activate().run_batch, InputSpec.from_manifest(model["input"]),
                              model["outputs"])
    return predict, scoring_config(model)


def score_bundle(bundle: Bundle, samples, precisions: list[str] | None = None,
                 quiet: bool = True) -> dict[str, dict[str, dict]]:
    """role -> precision -> metrics of an opened bundle (its manifest as opened: a signature
    checked at opening covers what is scored)."""
    results: dict[str, dict[str, dict]] = {}
    for role in bundle.roles:
        results[role] = {}
        for precision in precisions or onnx_precisions(bundle.model(role)):
            predict, config = bundle_predictor(bundle, role, precision)
            results[role][precision] = score(role, predict, config, samples, quiet)
    return results


def evaluate_arguments(bundle_dir: str | Path, precision: str) -> dict:
    """Keyword arguments of `training.evaluate.evaluate` for every model of a bundle at
    `precision`: `artifactsdk eval --bundle DIR --precision P` scores them like checkpoints."""
    bundle = Bundle.open(bundle_dir)
    arguments = {}
    for role in bundle.roles:
        predict, config = bundle_predictor(bundle, role, precision)
        arguments[f"predict_{role}"] = predict
        arguments[f"{role}_config"] = config
    return arguments
