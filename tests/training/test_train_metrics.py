import math

import numpy as np
import pytest

from artifactsdk.training.metrics import (
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


@pytest.mark.parametrize("labels", [[1, 1], [0, 0, 0], [True]])
def test_roc_auc_is_nan_with_one_class(labels):
    # eval prints NaN as n/a and the export report writes it as null; sklearn would raise or warn
    assert math.isnan(roc_auc(labels, np.linspace(0.2, 0.3, len(labels))))


def test_average_precision_by_hand():
    # ranked: 0.9 (pos) 0.8 (neg) 0.7 (pos): AP = 1/2 * 1 + 1/2 * 2/3
    assert average_precision([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx(0.5 + 1 / 3)
    assert math.isnan(average_precision([0, 0], [0.9, 0.1]))


def test_best_f1_threshold_separates_when_possible():
    assert best_f1_threshold([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.9]) == 0.6


def test_best_f1_threshold_counts_tied_scores_together():
    # >= 0.9: tp 1 fn 1 -> 2/3; >= 0.5 takes both 0.5s: tp 2 fp 1 -> 4/5; >= 0.1: tp 2 fp 2 -> 2/3
    assert best_f1_threshold([1, 0, 1, 0], [0.9, 0.5, 0.5, 0.1]) == 0.5


def test_best_f1_threshold_takes_the_highest_of_equal_f1():
    # >= 0.9: tp 1 fn 1 -> 2/3; >= 0.8: 1/2; >= 0.7: 2/5; >= 0.6: tp 2 fp 2 -> 2/3
    assert best_f1_threshold([1, 0, 0, 1], [0.9, 0.8, 0.7, 0.6]) == 0.9


def test_best_f1_threshold_without_positives_or_negatives():
    assert best_f1_threshold([0, 0, 0], [0.2, 0.7, 0.9]) == 0.5
    assert best_f1_threshold([1, 1], [0.7, 0.2]) == 0.2  # all positive: the lowest score finds them all
    assert best_f1_threshold(np.array([[1], [0]]), np.array([[0.4], [0.3]])) == 0.4  # any shape, raveled


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


def test_classifier_metrics_leave_a_class_without_positives_out_of_the_means():
    targets = np.array([[1, 0], [0, 0], [1, 0]])
    probabilities = np.array([[0.9, 0.3], [0.2, 0.6], [0.7, 0.1]])
    metrics = classifier_metrics(["a", "b"], targets, probabilities, {"a": 0.5, "b": 0.5},
                                 np.array([1, 1, 1]), np.array([0.9, 0.8, 0.7]))
    b = metrics.per_class["b"]
    assert b.support == 0 and math.isnan(b.ap) and math.isnan(b.auroc)
    assert metrics.map == pytest.approx(1.0) and metrics.macro_f1 == pytest.approx(1.0)
    assert math.isnan(metrics.auroc)  # every image has an artifact
