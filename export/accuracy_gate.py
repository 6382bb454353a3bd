"""Each precision scored on the held-out set with `artifactsdk eval`'s metrics, and the
gate that fails the export when int8 or fp16 loses more than `max_drop` points."""

from __future__ import annotations

from dataclasses import dataclass

from artifactsdk.errors import ExportError
from artifactsdk.training.evaluate import evaluate

# role -> (the eval metric the gate watches, its key in training.evaluate's result)
GATE_METRIC = {"segmenter": "iou", "classifier": "macro_f1"}
TASK_ROLE = {"segmentation": "segmenter", "classification": "classifier"}
DEFAULT_MAX_DROP = 1.0  # points: 0.01 of IoU or macro-F1
REFERENCE = "fp32"


def score(role: str, predict, config: dict, samples, quiet: bool = True) -> dict:
    """The eval metrics of one predictor (image -> probabilities) on `samples`."""
    arguments = ({"predict_segmenter": predict, "segmenter_config": config} if role == "segmenter"
                 else {"predict_classifier": predict, "classifier_config": config})
    return evaluate(list(samples), quiet=quiet, **arguments)[role]


@dataclass(frozen=True)
class GateResult:
    role: str
    metric: str
    max_drop: float
    reference: float
    drops: dict  # precision -> points lost against fp32 (negative: gained)
    dataset: str
    images: int

    @property
    def passed(self) -> bool:
        return all(drop <= self.max_drop for drop in self.drops.values())

    def to_dict(self) -> dict:
        return {"metric": self.metric, "reference": REFERENCE, "reference_value": self.reference,
                "max_drop_points": self.max_drop, "drop_points": dict(self.drops),
                "passed": self.passed, "dataset": self.dataset, "images": self.images}


def gate(role: str, accuracy: dict[str, dict], max_drop: float, dataset: str, images: int) -> GateResult:
    """Compare every non-fp32 precision's gate metric with fp32's."""
    metric = GATE_METRIC[role]
    if REFERENCE not in accuracy:
        raise ExportError(f"the accuracy gate compares against fp32, which was not evaluated for the "
                          f"{role}; include fp32 in --precision.")
    undefined = sorted(p for p, metrics in accuracy.items() if metrics.get(metric) is None)
    if undefined:
        raise ExportError(f"the {role}'s {metric} is undefined for {', '.join(undefined)} on the held-out set "
                          f"{dataset} (no artifact pixels or no trained classes among {images} images), so the "
                          "accuracy gate cannot compare precisions. Use a held-out set with labelled artifacts.")
    reference = accuracy[REFERENCE][metric]
    drops = {precision: round(100.0 * (reference - metrics[metric]), 4)
             for precision, metrics in sorted(accuracy.items()) if precision != REFERENCE}
    return GateResult(role, metric, max_drop, reference, drops, dataset, images)


def require_pass(result: GateResult) -> GateResult:
    if not result.passed:
        lines = [f"  {precision}: {result.metric} lost {drop:.2f} points" for precision, drop in result.drops.items()]
        raise ExportError(f"the {result.role} fails the accuracy gate: fp32 {result.metric} = "
                          f"{result.reference:.4f} on {result.images} held-out images ({result.dataset}), "
                          f"allowed drop {result.max_drop:.2f} points:\n" + "\n".join(lines) +
                          "\nTry --calib-method percentile or entropy, more calibration images, "
                          "--per-channel, or keeping sensitive nodes in float; --max-drop raises the limit.")
    return result
