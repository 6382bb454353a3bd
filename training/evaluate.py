"""Backend-agnostic evaluation: callables that predict, a dataset, metrics out.

``predict_segmenter(image) -> HxW probabilities`` and ``predict_classifier(image) ->
(K probabilities, has-artifact probability)`` can wrap a torch checkpoint
(training.predict) or any other backend (an ONNX bundle), so every backend is scored
by the same code and the same training.metrics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from artifactsdk.postprocess import segmenter_image_score
from artifactsdk.progress import Progress
from artifactsdk.training.arrays import class_targets
from artifactsdk.training.metrics import (
    ClassifierMetrics,
    PixelHistogram,
    SegmenterMetrics,
    classifier_metrics,
    f1_from_counts,
    iou_from_counts,
    roc_auc,
)

SegmenterFn = Callable[[np.ndarray], np.ndarray]
ClassifierFn = Callable[[np.ndarray], tuple[np.ndarray, float]]


def segmenter_outputs(predict: SegmenterFn, samples: Iterable,
                      image_score: dict | None = None) -> tuple[PixelHistogram, list, list, list]:
    """Run the segmenter once over the samples with masks: (pixel histogram, image scores
    by the checkpoint's ``image_score`` method, as the runtime computes them, has-artifact
    truths, per-image probability maps of the clean images)."""
    histogram, scores, truths, clean_maps = PixelHistogram(), [], [], []
    for sample in samples:
        if sample.mask is None:
            continue
        probabilities = predict(sample.image)
        mask = np.asarray(sample.mask) > 0
        histogram.add(probabilities, mask)
        scores.append(segmenter_image_score(probabilities, image_score))
        truths.append(bool(mask.any()))
        if not mask.any():
            clean_maps.append(probabilities)
    return histogram, scores, truths, clean_maps


def segmenter_metrics(outputs: tuple, threshold: float) -> SegmenterMetrics:
    histogram, scores, truths, clean_maps = outputs
    tp, fp, fn = histogram.counts_at(threshold)
    clean_area = [float(np.mean(p >= threshold)) for p in clean_maps]
    return SegmenterMetrics(
        iou=iou_from_counts(tp, fp, fn), f1=f1_from_counts(tp, fp, fn),
        auroc=roc_auc(np.asarray(truths), np.asarray(scores)),
        clean_fp_area=float(np.mean(clean_area)) if clean_area else float("nan"),
        images=len(scores), clean_images=len(clean_maps), threshold=float(threshold))


def classifier_outputs(predict: ClassifierFn, samples: Iterable) -> tuple[np.ndarray, ...]:
    """(class targets N x K, class probabilities N x K, has-artifact truth, has-artifact
    probability), over the samples whose classes are known."""
    targets, probabilities, truths, scores = [], [], [], []
    for sample in samples:
        target, known, has = class_targets(sample)
        if not known:
            continue
        class_probabilities, artifact_probability = predict(sample.image)
        targets.append(target)
        probabilities.append(class_probabilities)
        truths.append(has)
        scores.append(artifact_probability)
    return np.stack(targets), np.stack(probabilities), np.asarray(truths), np.asarray(scores)


def classifier_set_metrics(outputs: tuple, config: dict) -> ClassifierMetrics:
    """Metrics over the config's trained classes at its thresholds."""
    targets, probabilities, truths, scores = outputs
    keys = [label["key"] for label in config["labels"]]
    columns = [keys.index(key) for key in config["trained_classes"]]
    return classifier_metrics(config["trained_classes"], targets[:, columns], probabilities[:, columns],
                              config["thresholds"]["classes"], truths, scores)


def evaluate(samples: list, predict_segmenter: SegmenterFn | None = None, segmenter_config: dict | None = None,
             predict_classifier: ClassifierFn | None = None, classifier_config: dict | None = None,
             quiet: bool = False) -> dict:
    """{"segmenter": {...}, "classifier": {...}} for whichever predictors are given; the
    classifier only when some sample's classes are known (PAL labels are masks only)."""
    result = {}
    if predict_segmenter is not None:
        outputs = segmenter_outputs(predict_segmenter, _with_progress(samples, "segmenter", quiet),
                                    segmenter_config.get("image_score"))
        result["segmenter"] = segmenter_metrics(outputs, segmenter_config["thresholds"]["pixel"]).to_dict()
    if predict_classifier is not None and any(sample.annotations is not None for sample in samples):
        outputs = classifier_outputs(predict_classifier, _with_progress(samples, "classifier", quiet))
        result["classifier"] = classifier_set_metrics(outputs, classifier_config).to_dict()
    return result


def _with_progress(samples: list, label: str, quiet: bool):
    progress = Progress(f"eval {label}", len(samples), quiet)
    for done, sample in enumerate(samples, 1):
        yield sample
        progress.update(done)
    progress.close()


def find_checkpoints(paths: tuple[Path, ...]) -> list[Path]:
    """Checkpoint directories: each path is one (has config.json) or holds several as subfolders."""
    found = []
    for path in paths:
        if (path / "config.json").is_file():
            found.append(path)
        else:
            found.extend(sorted(p.parent for p in path.glob("*/config.json")))
    return found
