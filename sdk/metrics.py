"""Accuracy metrics in numpy, shared by `artifactsdk eval`, the export accuracy gate and
the benchmark (no sklearn at run time).

Segmenter: artifact-class IoU and F1 over all pixels of a set (pixel counts summed
over images, not averaged per image), image-level AUROC of "has artifact", and the
mean predicted artifact fraction on clean images. Classifier: per-class F1 at the
model's thresholds, average precision, and AUROC of "has artifact".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

def f1_from_counts(tp: float, fp: float, fn: float) -> float:
    """F1 = 2TP / (2TP + FP + FN); 1.0 when there is nothing to find and nothing was found."""
    denominator = 2 * tp + fp + fn
    return 1.0 if denominator == 0 else float(2 * tp / denominator)


def iou_from_counts(tp: float, fp: float, fn: float) -> float:
    """IoU = TP / (TP + FP + FN); 1.0 when both prediction and truth are empty."""
    denominator = tp + fp + fn
    return 1.0 if denominator == 0 else float(tp / denominator)


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_values)) + 1]
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return ranks


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U; ties count half). NaN if one class is absent."""
    labels = np.asarray(labels).astype(bool).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = _average_ranks(scores)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Sum over score thresholds of (recall step) x precision, as sklearn defines it. NaN without positives."""
    labels = np.asarray(labels).astype(bool).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if not labels.any():
        return float("nan")
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_labels = scores[order], labels[order]
    # one point per distinct threshold: the last index of each run of equal scores
    last = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(scores) - 1]
    tp = np.cumsum(sorted_labels)[last]
    precision = tp / (last + 1)
    recall = tp / labels.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The score threshold (predict positive when score >= it) with the highest F1."""
    labels = np.asarray(labels).astype(bool).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if not labels.any():
        return 0.5
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_labels = scores[order], labels[order]
    last = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(scores) - 1]
    tp = np.cumsum(sorted_labels)[last]
    fp = (last + 1) - tp
    fn = labels.sum() - tp
    f1 = 2 * tp / (2 * tp + fp + fn)
    return float(sorted_scores[last[int(np.argmax(f1))]])


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
        return {"iou": self.iou, "f1": self.f1, "auroc": self.auroc, "clean_fp_area": self.clean_fp_area,
                "images": self.images, "clean_images": self.clean_images, "threshold": self.threshold}


@dataclass(frozen=True)
class ClassMetrics:
    f1: float
    ap: float
    auroc: float
    support: int
    threshold: float

    def to_dict(self) -> dict:
        return {"f1": self.f1, "ap": self.ap, "auroc": self.auroc, "support": self.support,
                "threshold": self.threshold}


@dataclass(frozen=True)
class ClassifierMetrics:
    macro_f1: float
    map: float
    auroc: float
    per_class: dict[str, ClassMetrics]
    images: int

    def to_dict(self) -> dict:
        return {"macro_f1": self.macro_f1, "map": self.map, "auroc": self.auroc,
                "per_class": {key: m.to_dict() for key, m in self.per_class.items()}, "images": self.images}


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
