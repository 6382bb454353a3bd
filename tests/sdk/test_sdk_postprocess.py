import numpy as np
import pytest

from artifactsdk.image_io import load_image
from artifactsdk.masks import upsample
from artifactsdk.postprocess import (artifact_score, build_detection, calibrated, caption, classifier_probabilities,
                                     find_regions, label_runs, segmenter_probability)
from artifactsdk.thresholds import Thresholds


def label_image(binary: np.ndarray) -> tuple[np.ndarray, int]:
    """label_runs painted back: 0 = background, 1..count = its components."""
    rows, starts, ends, labels, count = label_runs(binary)
    out = np.zeros(binary.shape, dtype=np.int32)
    for row, start, end, label in zip(rows, starts, ends, labels):
        out[row, start:end] = label + 1
    return out, count


def test_components_are_eight_connected():
    binary = np.array([[1, 0, 0, 1],
                       [0, 1, 0, 1],
                       [0, 0, 0, 0],
                       [1, 1, 0, 1]], dtype=bool)
    labels, count = label_image(binary)
    assert count == 4
    assert labels[0, 0] == labels[1, 1] != labels[0, 3]
    assert labels[0, 3] == labels[1, 3]
    assert labels[3, 0] == labels[3, 1] and labels[3, 3] not in (0, labels[3, 0])
    assert (labels > 0).sum() == binary.sum()


def test_components_match_scipy_on_random_masks():
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(0)
    for _ in range(100):
        binary = rng.random(tuple(rng.integers(1, 48, 2))) < rng.random()
        ours, count = label_image(binary)
        theirs, expected = ndimage.label(binary, structure=np.ones((3, 3)))
        assert count == expected
        assert len(set(zip(ours[binary].tolist(), theirs[binary].tolist()))) == expected  # same partition


def test_regions_have_scaled_boxes_areas_scores_and_captions():
    probability = np.zeros((10, 20), np.float32)
    probability[0:2, 0:4] = 0.9  # upper left, 8 cells = 4 %
    probability[5:10, 10:20] = 0.7  # lower right, 50 cells = 25 %
    regions = find_regions(probability, (200, 100), 0.5, ("localized_blur", "Localized Blur"))
    assert [r.box for r in regions] == [(100, 50, 200, 100), (0, 0, 40, 20)]  # largest first
    assert [round(r.area_fraction, 3) for r in regions] == [0.25, 0.04]
    assert regions[1].mean_score == pytest.approx(0.9)
    assert regions[1].caption == "Localized blur in the upper left (4 % of the image)"
    assert regions[0].caption == "Localized blur in the lower right (25 % of the image)"
    assert find_regions(probability, (200, 100), 0.95, None) == ()


def test_captions_name_place_and_share():
    assert caption(None, (40, 40, 60, 60), (100, 100), 0.004) == "Artifact in the centre (< 1 % of the image)"
    assert caption("Abnormal Texture", (0, 0, 100, 90), (100, 100), 0.8) == \
        "Abnormal texture across the image (80 % of the image)"
    assert caption("Illegible Letters", (40, 0, 60, 10), (100, 100), 0.02) == \
        "Illegible letters at the top (2 % of the image)"


@pytest.mark.parametrize("semantics, raw, expected", [
    ("artifact_logit", np.array([[[[0.0, 100.0]]]]), [0.5, 1.0]),
    ("artifact_probability", np.array([[[[0.25, 0.75]]]]), [0.25, 0.75]),
    ("artifact_two_class_logits", np.array([[[[0.0, 0.0]], [[0.0, np.log(3.0)]]]]), [0.5, 0.75]),
    ("artifact_argmax", np.array([[[0, 1]]]), [0.0, 1.0]),
])
def test_every_segmenter_output_kind_becomes_a_probability(semantics, raw, expected):
    probability = segmenter_probability({"out": raw}, [{"name": "out", "semantics": semantics}])
    assert probability.shape == (1, 1, 2)
    assert probability[0, 0].tolist() == pytest.approx(expected)


def test_classifier_probabilities_and_the_image_score():
    specs = [{"name": "c", "semantics": "class_logits"}, {"name": "a", "semantics": "image_artifact_logit"}]
    classes, image = classifier_probabilities({"c": np.array([[0.0, 2.0]]), "a": np.array([[-2.0]])}, specs)
    assert classes[0].tolist() == pytest.approx([0.5, 0.8808], abs=1e-4)
    assert image.tolist() == pytest.approx([0.1192], abs=1e-4)
    _, image = classifier_probabilities({"c": np.array([[0.0, 2.0]])}, specs[:1])
    assert image.tolist() == pytest.approx([0.8808], abs=1e-4)  # no image head: the best class
    peaked = np.zeros((20, 20), np.float32)
    peaked[:2, :2] = 1.0  # 1 % of the pixels: the top 1 % the segmenter's score averages
    assert artifact_score(0.2, peaked) == pytest.approx(0.6)
    assert artifact_score(None, peaked, {"method": "top_fraction_mean", "top_fraction": 0.05}) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="unknown segmenter image_score method"):
        artifact_score(None, peaked, {"method": "max"})
    assert artifact_score(0.2, None) == pytest.approx(0.2)
    assert artifact_score(None, np.zeros((4, 4))) == 0.0


def test_the_segmenter_weight_sets_its_share_of_the_artifact_score():
    peaked = np.zeros((20, 20), np.float32)
    peaked[:2, :2] = 1.0  # image score 1.0
    method = {"method": "top_fraction_mean", "top_fraction": 0.01, "weight": 0.25}
    assert artifact_score(0.2, peaked, method) == pytest.approx((0.2 + 0.25 * 1.0) / 1.25)
    assert artifact_score(0.2, peaked, {**method, "weight": 0.0}) == pytest.approx(0.2)
    assert artifact_score(None, peaked, {**method, "weight": 0.0}) == pytest.approx(1.0)  # alone, it counts whole


def test_upsample_reaches_the_image_size():
    assert upsample(np.ones((4, 8), np.float32), (80, 40)).shape == (40, 80)


def test_only_trained_classes_become_labels():
    labels = [{"index": 0, "key": "a", "name": "A"}, {"index": 1, "key": "b", "name": "B"}]
    decoded = load_image(np.zeros((40, 40, 3), np.uint8))
    probability = np.zeros((4, 4), np.float32)
    probability[:2, :2] = 0.9
    thresholds = Thresholds.of({"pixel": 0.5, "artifact": 0.5, "class": 0.5, "classes": {"b": 0.9}})
    everything = build_detection(decoded, thresholds, labels, np.array([0.8, 0.95]), 0.7, probability)
    assert everything.labels == ("b", "a") and everything.regions[0].label == "b"
    trained = build_detection(decoded, thresholds, labels, np.array([0.8, 0.95]), 0.7, probability,
                              trained_classes=("a",))
    assert trained.scores == {"a": pytest.approx(0.8), "b": pytest.approx(0.95)}
    assert trained.labels == ("a",) and trained.regions[0].label_name == "A"
    assert trained.regions[0].caption == "A in the upper left (25 % of the image)"


def test_scores_are_calibrated_against_each_models_own_threshold():
    assert calibrated(0.05, 0.05) == pytest.approx(0.5)
    assert calibrated(0.3, 0.5) == pytest.approx(0.3)  # a 0.5 threshold leaves a score as it is
    assert calibrated(0.2, 0.05) > 0.8 and calibrated(0.01, 0.05) < 0.2
    peaked = np.zeros((20, 20), np.float32)
    peaked[:2, :2] = 0.23  # the segmenter's image score: exactly its threshold below
    tuned = Thresholds.of({"artifact": 0.05, "image": 0.23})
    assert artifact_score(0.05, peaked, thresholds=tuned) == pytest.approx(0.5)
    assert artifact_score(0.2, None, thresholds=tuned) == pytest.approx(calibrated(0.2, 0.05))
    decoded = load_image(np.zeros((40, 40, 3), np.uint8))
    flagged = build_detection(decoded, tuned, [], None, 0.2, None)  # 0.2 > the classifier's 0.05
    assert flagged.is_artifact and not build_detection(decoded, tuned, [], None, 0.02, None).is_artifact
