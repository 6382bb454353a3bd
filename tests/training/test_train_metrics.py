import math

import numpy as np
import pytest

from artifactsdk.metrics import (
    PixelHistogram,
    average_precision,
    best_f1_threshold,
    classifier_metrics,
    f1_from_counts,
    iou_from_counts,
    roc_auc,
)


def test_iou_and_f1_from_counts():
    assert iou_from_counts(2, 1, 1) == 0.5
    assert f1_from_counts(2, 1, 1) == pytest.approx(4 / 6)
    assert iou_from_counts(0, 0, 0) == 1.0 and f1_from_counts(0, 3, 0) == 0.0


def test_roc_auc_by_hand_with_a_tie():
    # positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4) (0.8>0.1) (0.4=0.4 half) (0.4>0.1) -> 3.5 / 4
    assert roc_auc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == pytest.approx(0.875)
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))


def test_average_precision_by_hand():
    # ranked: 0.9 (pos) 0.8 (neg) 0.7 (pos): AP = 1/2 * 1 + 1/2 * 2/3
    assert average_precision([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx(0.5 + 1 / 3)


def test_metrics_match_sklearn_on_random_scores_with_ties():
    sklearn = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    labels = rng.random(300) < 0.3
    scores = np.round(rng.random(300) + 0.4 * labels, 1)
    assert roc_auc(labels, scores) == pytest.approx(sklearn.roc_auc_score(labels, scores))
    assert average_precision(labels, scores) == pytest.approx(sklearn.average_precision_score(labels, scores))


def test_best_f1_threshold_separates_when_possible():
    assert best_f1_threshold([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.9]) == 0.6


def test_pixel_histogram_counts_and_best_threshold():
    histogram = PixelHistogram(bins=10)
    histogram.add(np.array([[0.95, 0.75], [0.35, 0.05]]), np.array([[1, 1], [0, 0]]))
    histogram.add(np.array([[0.55, 0.15]]), np.array([[0, 1]]))
    assert histogram.counts_at(0.5) == (2, 1, 1)
    assert histogram.counts_at(0.7) == (2, 0, 1)
    assert histogram.best_f1_threshold() == pytest.approx(0.6)


def test_classifier_metrics_by_hand():
    targets = np.array([[1, 0], [1, 1], [0, 0], [0, 1]])
    probabilities = np.array([[0.9, 0.2], [0.6, 0.4], [0.7, 0.1], [0.2, 0.8]])
    metrics = classifier_metrics(["a", "b"], targets, probabilities, {"a": 0.5, "b": 0.5},
                                 np.array([1, 1, 0, 1]), np.array([0.9, 0.8, 0.3, 0.6]))
    # a: predicted 1,1,1,0 vs 1,1,0,0 -> tp 2 fp 1 fn 0 -> f1 0.8; b: predicted 0,0,0,1 vs 0,1,0,1 -> f1 2/3
    assert metrics.per_class["a"].f1 == pytest.approx(0.8)
    assert metrics.per_class["b"].f1 == pytest.approx(2 / 3)
    assert metrics.macro_f1 == pytest.approx((0.8 + 2 / 3) / 2)
    assert metrics.auroc == 1.0 and metrics.to_dict()["per_class"]["a"]["support"] == 2
