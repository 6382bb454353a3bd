"""Accuracy metrics shared by `artifactsdk eval`, the export accuracy gate and the
benchmark: scikit-learn's AUROC, average precision and precision-recall curve, plus the
pixel counting that sklearn does not do (a histogram over a whole set, IoU / F1 from counts).

Segmenter: artifact-class IoU and F1 over all pixels of a set (pixel counts summed
over images, not averaged per image), image-level AUROC of "has artifact", and the
mean predicted artifact fraction on clean images. Classifier: per-class F1 at the
model's thresholds, average precision, and AUROC of "has artifact".

scikit-learn comes with the ``train`` and ``export`` extras and is imported when a
metric is computed; the runtime (`artifactsdk`) never imports this module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


def f1_from_counts(tp: float, fp: float, fn: float) -> float:
    """F1 = 2TP / (2TP + FP + FN); 1.0 when there is nothing to find and nothing was found."""
    denominator = 2 * tp + fp + fn
    return 1.0 if denominator == 0 else float(2 * tp / denominator)


def iou_from_counts(tp: float, fp: float, fn: float) -> float:
    """IoU = TP / (TP + FP + FN); 1.0 when both prediction and truth are empty."""
    denominator = tp + fp + fn
    return 1.0 if denominator == 0 else float(tp / denominator)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (sklearn's ``roc_auc_score``; ties count half). NaN if one class is absent."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels).astype(bool).ravel()
    if labels.all() or not labels.any():  # sklearn raises (< 1.6) or warns here; callers print NaN as n/a
        return float("nan")
    return float(roc_auc_score(labels, np.asarray(scores, dtype=np.float64).ravel()))


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision (sklearn's ``average_precision_score``). NaN without positives."""
    from sklearn.metrics import average_precision_score

    labels = np.asarray(labels).astype(bool).ravel()
    if not labels.any():
        return float("nan")
    return float(average_precision_score(labels, np.asarray(scores, dtype=np.float64).ravel()))


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The score threshold (predict positive when score >= it) with the highest F1.

    The candidates are the distinct scores; of thresholds with equal F1 the highest wins
    (it flags the fewest). 0.5 when there is no positive.
    """
    from sklearn.metrics import precision_recall_curve

    labels = np.asarray(labels).astype(bool).ravel()
    if not labels.any():
        return 0.5
    precision, recall, thresholds = precision_recall_curve(labels, np.asarray(scores, dtype=np.float64).ravel())
    # thresholds ascend; the curve's last point (recall 0) has none
    precision, recall = precision[:-1], recall[:-1]
    f1 = 2 * precision * recall / np.maximum(precision + recall, np.finfo(np.float64).tiny)
    best = np.flatnonzero(np.isclose(f1, f1.max(), rtol=1e-12, atol=0.0))[-1]
    return float(thresholds[best])


@dataclass
class PixelHistogram:
    """Histograms of pixel probabilities for artifact and clean pixels, summed over a set,
    so F1 and IoU at any threshold come out without keeping every pixel."""

    bins: int = 1000
    positive: np.ndarray = field(default=None)
    negative: np.ndarray = field(default=None)

    def __post_init__(self):
        if self.positive is None:
            self.positive = np.zeros(self.bins, dtype=np.int64)
            self.negative = np.zeros(self.bins, dtype=np.int64)

    def add(self, probabilities: np.ndarray, mask: np.ndarray) -> None:
        index = np.clip((np.asarray(probabilities).ravel() * self.bins).astype(np.int64), 0, self.bins - 1)
        truth = np.asarray(mask).ravel().astype(bool)
        self.positive += np.bincount(index[truth], minlength=self.bins)
        self.negative += np.bincount(index[~truth], minlength=self.bins)

    def counts_at(self, threshold: float) -> tuple[int, int, int]:
        """(TP, FP, FN) when a pixel is artifact iff its probability's bin starts at >= threshold."""
        first = int(np.ceil(threshold * self.bins - 1e-9))
        tp = int(self.positive[first:].sum())
        fp = int(self.negative[first:].sum())
        return tp, fp, int(self.positive.sum()) - tp

    def best_f1_threshold(self) -> float:
        """The bin edge with the highest F1 (also the highest IoU: IoU = F1 / (2 - F1))."""
        tp = np.cumsum(self.positive[::-1])[::-1]
        fp = np.cumsum(self.negative[::-1])[::-1]
        fn = self.positive.sum() - tp
        f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        return float(np.argmax(f1) / self.bins)


@dataclass(frozen=True)
class SegmenterMetrics:
    iou: float
    f1: float
    auroc: float
    clean_fp_area: float
    images: int
    clean_images: int
    threshold: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ClassMetrics:
    f1: float
    ap: float
    auroc: float
    support: int
    threshold: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ClassifierMetrics:
    macro_f1: float
    map: float
    auroc: float
    per_class: dict[str, ClassMetrics]
    images: int

    def to_dict(self) -> dict:
        return asdict(self)


def classifier_metrics(class_keys: list[str], targets: np.ndarray, probabilities: np.ndarray,
                       thresholds: dict[str, float], has_artifact: np.ndarray,
                       artifact_scores: np.ndarray) -> ClassifierMetrics:
    """Metrics over ``class_keys`` (columns of the N x K ``targets`` / ``probabilities``).

    Macro-F1 and mAP average the classes that have at least one positive in the set.
    """
    per_class = {}
    for column, key in enumerate(class_keys):
        truth, scores = targets[:, column].astype(bool), probabilities[:, column]
        predicted = scores >= thresholds[key]
        tp = int(np.sum(predicted & truth))
        per_class[key] = ClassMetrics(
            f1=f1_from_counts(tp, int(np.sum(predicted & ~truth)), int(np.sum(~predicted & truth))),
            ap=average_precision(truth, scores), auroc=roc_auc(truth, scores),
            support=int(truth.sum()), threshold=float(thresholds[key]))
    present = [m for m in per_class.values() if m.support > 0]
    return ClassifierMetrics(
        macro_f1=float(np.mean([m.f1 for m in present])) if present else float("nan"),
        map=float(np.mean([m.ap for m in present])) if present else float("nan"),
        auroc=roc_auc(has_artifact, artifact_scores), per_class=per_class, images=len(targets))
