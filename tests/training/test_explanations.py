"""Leave-one-generator-out folds, the training-free baselines, and verdicts that explain
themselves (the evidence map in the mask, the deletion test)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from artifactsdk.cli import main
from artifactsdk.detector import Detector
from artifactsdk.image_io import load_image
from artifactsdk.postprocess import EVIDENCE_TOP_FRACTION, build_detection, logit, sigmoid, strongest_cells
from artifactsdk.thresholds import Thresholds
from artifactsdk.training import real_eval
from artifactsdk.training.real_data import RatedImage, generator_of
from tiny_bundle import build_tiny_bundle, red_square_image

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def evidence_bundle(tmp_path_factory):
    """The tiny redness bundle whose classifier scores the mean redness and outputs its map."""
    return build_tiny_bundle(tmp_path_factory.mktemp("evidence_bundle"), variants=("fp32",), evidence=True)


def test_generator_is_the_group_up_to_its_first_underscore():
    assert [generator_of(g) for g in ("sd1.5_lowstep", "sd1.5_normal", "xl2.2_normal", "glide")] == \
        ["sd1.5", "sd1.5", "xl2.2", "glide"]


def test_leave_one_group_out_folds_have_the_known_answer():
    """Generator a: the quality ranks its images exactly; b: exactly backwards; so the
    folds are 1 and -1 and their mean 0, whatever the levels between generators."""
    mos = np.array([1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0])
    quality = np.array([10.0, 20.0, 30.0, 40.0, -1.0, -2.0, -3.0])
    groups = np.array(["a_low", "a_low", "a_high", "a_high", "b_x", "b_x", "b_y"])
    folds = real_eval.leave_one_group_out({"method": quality}, mos, groups)
    assert folds["folds"]["a"] == {"images": 4, "method": pytest.approx(1.0)}
    assert folds["folds"]["b"] == {"images": 3, "method": pytest.approx(-1.0)}
    assert folds["mean_spearman"]["method"] == pytest.approx(0.0)


def test_a_fold_head_never_sees_its_generator():
    """Feature 0 predicts MOS (lower = better) for generators a and b, feature 1 only for c,
    where feature 0 runs the other way. Fitted without c, the score cannot know that: c's
    fold ranks backwards, while a's and b's folds, taught by the others, rank exactly."""
    from artifactsdk.training.image_score import leave_one_generator_out

    rng = np.random.default_rng(0)
    ratings, rows = [], []
    for generator in ("a", "b", "c"):
        for index, mos in enumerate(rng.permutation(np.linspace(0.5, 4.5, 12))):
            ratings.append(RatedImage(f"{generator}_{index:03d}.png", f"prompt {index}", float(mos), f"{generator}_x"))
            rows.append([-mos if generator != "c" else mos, -mos if generator == "c" else 0.0])
    folds = leave_one_generator_out(np.array(rows), ratings, alpha=1.0)["folds"]
    assert folds["a"]["spearman"] == pytest.approx(1.0) and folds["b"]["spearman"] == pytest.approx(1.0)
    assert folds["c"]["spearman"] == pytest.approx(-1.0)


def test_brisque_ranks_noise_and_blur_below_the_clean_image(samples):
    pytest.importorskip("brisque")
    from artifactsdk.training.baselines import brisque_quality

    picture = Image.open(samples / "agiqa-xl2.2_normal_037.jpg").convert("RGB").resize((128, 128))
    clean = np.asarray(picture)
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 15, clean.shape), 0, 255).astype(np.uint8)
    blurred = [np.asarray(picture.filter(ImageFilter.GaussianBlur(radius))) for radius in (1, 2, 4)]
    qualities = [brisque_quality(image) for image in (clean, *blurred)]
    assert qualities == sorted(qualities, reverse=True)  # more blur, lower quality
    assert brisque_quality(noisy) < qualities[0]


@pytest.mark.parametrize("fill", ["inpaint", "mean"])
def test_eval_reports_the_deletion_test_and_the_explanations(evidence_bundle, tmp_path, fill):
    """Half-red images are flagged by their mean redness; filling the detected (red) mask,
    from its surroundings or with the mean colour, lowers the score; filling the same mask
    moved elsewhere hardly does."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for index, box in enumerate([(0, 0, 40, 64), (24, 0, 64, 64), (0, 20, 64, 64), (8, 8, 24, 24)]):
        Image.fromarray(red_square_image(64, box, seed=index)).save(photos / f"{index}.png")
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(main, ["eval", "--clean-photos", str(photos), "--bundle", str(evidence_bundle),
                                       "--backend", "ort-cpu", "--deletion-fill", fill, "--json", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())["clean_photos"]["explanations"]
    assert figures["flagged"] == 4 and figures["explained_share"] == 1.0
    deletion = figures["deletion"]
    assert deletion["fill"] == fill and deletion["images"] == 4 and deletion["lowered_share"] == 1.0
    assert deletion["mean_drop_detected"] > 2 * deletion["mean_drop_random"]


def test_inpainting_paints_a_region_over_from_its_surroundings():
    """A red square on a green-to-blue gradient: inpainted, the square is gone (no red left)
    and the rest of the image is untouched."""
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[..., 1] = np.linspace(40, 200, 64, dtype=np.uint8)[None, :]
    pixels[..., 2] = 120
    mask = np.zeros((64, 64), bool)
    mask[20:36, 20:36] = True
    pixels[mask] = (255, 0, 0)
    out = real_eval.inpainted(pixels, mask)
    assert out[mask][:, 0].max() < 40 and np.array_equal(out[~mask], pixels[~mask])


@settings(max_examples=200, deadline=None)
@given(logits=st.lists(st.floats(-6, 6), min_size=64, max_size=64),
       artifact=st.floats(0.02, 0.98), pixel=st.floats(0.02, 0.98))
def test_a_flagged_image_always_has_a_region(logits, artifact, pixel):
    """The image score is the mean of the evidence map, so a flagged image has a cell over
    the threshold that flagged it, and with_evidence puts it in the mask and the regions."""
    logit_map = np.array(logits, np.float32).reshape(8, 8)
    decoded = load_image(np.full((64, 64, 3), 128, np.uint8))
    detection = build_detection(decoded, Thresholds.of({"artifact": artifact, "pixel": pixel}), [], None,
                                float(sigmoid(np.array([logit_map.mean()]))[0]), None,
                                evidence=logit_map)
    if detection.is_artifact:
        assert detection.regions and detection.binary_mask().any()
    else:
        assert not detection.regions


@settings(max_examples=200, deadline=None)
@given(logits=st.lists(st.floats(-40, 40), min_size=256, max_size=256), artifact=st.floats(0.02, 0.98))
def test_the_mask_shows_only_the_strongest_evidence_cells(logits, artifact):
    """At most EVIDENCE_TOP_FRACTION of the cells (ties aside), each over the threshold and
    none weaker than a cell left out; the strongest cell whenever the image is flagged."""
    evidence = np.array(logits, np.float32).reshape(16, 16)
    over = evidence >= np.float32(logit(artifact))
    kept = strongest_cells(evidence, artifact)
    assert np.all(over[kept])
    if kept.any() and (~kept).any():
        assert evidence[kept].min() >= evidence[~kept & over].max(initial=-np.inf)
    distinct = len(np.unique(evidence)) == evidence.size
    assert not distinct or kept.sum() <= round(EVIDENCE_TOP_FRACTION * evidence.size)
    if over.any():
        assert kept[np.unravel_index(np.argmax(evidence), evidence.shape)]


def test_a_flagged_image_of_the_tiny_bundle_has_a_region_or_label(evidence_bundle):
    with Detector.load(evidence_bundle, precision="fp32") as detector:
        for seed in range(12):
            rng = np.random.default_rng(seed)
            x, y = (int(v) for v in rng.integers(0, 40, 2))
            size = int(rng.integers(4, 64))
            detection = detector.detect(red_square_image(64, (x, y, x + size, y + size), seed=seed))
            if detection.is_artifact:
                assert detection.regions or detection.labels


def test_labels_and_region_classes_only_pass_the_thresholds_describe_shows(evidence_bundle):
    with Detector.load(evidence_bundle, precision="fp32", thresholds={"class": 0.5}) as detector:
        shown = detector.describe()["thresholds"]["classes"]
        detection = detector.detect(red_square_image(64, (0, 0, 64, 40)))
    assert shown and all(0 < value < 1 for value in shown.values())
    assert all(detection.scores[key] >= shown[key] for key in detection.labels)
    for region in detection.regions:
        assert region.label is None or region.label in detection.labels


def test_a_bundle_without_an_evidence_map_keeps_the_segmenter_mask(tiny_bundle):
    with Detector.load(tiny_bundle, precision="fp32") as detector:
        detection = detector.detect(red_square_image(64, (8, 8, 24, 24)))
    assert detection.is_artifact and detection.artifact_area == pytest.approx(0.0625, abs=0.02)


def test_eval_mos_reports_baselines_and_generator_folds(evidence_bundle, tmp_path):
    pytest.importorskip("brisque")
    images = tmp_path / "images"
    images.mkdir()
    rows = ["name,mos_quality"]
    for generator in ("gena", "genb"):
        for index in range(6):
            name = f"{generator}_x_{index:03d}.png"
            Image.fromarray(red_square_image(64, (0, 0, 8 * index + 8, 64), seed=index)).save(images / name)
            rows.append(f"{name},{5.0 - 0.5 * index}")
    (tmp_path / "mos.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "mos.json"
    result = CliRunner().invoke(main, ["eval", "--mos-csv", str(tmp_path / "mos.csv"), "--images", str(images),
                                       "--group-from-name", "--leave-one-group-out", "--bundle", str(evidence_bundle),
                                       "--backend", "ort-cpu", "--json", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())["mos"]
    assert set(report["baselines"]) == {"laplacian_variance", "brisque"}
    folds = report["leave_one_group_out"]
    assert set(folds["folds"]) == {"gena", "genb"}
    # more red, lower MOS: the detector ranks each generator exactly
    assert folds["folds"]["gena"]["detector"] == pytest.approx(1.0)
    assert folds["mean_spearman"]["detector"] == pytest.approx(1.0)
    assert set(folds["mean_spearman"]) == {"detector", "laplacian_variance", "brisque"}


def test_a_baselines_nan_leaves_that_image_out_of_its_figures():
    """BRISQUE gives NaN on a few flat images: the figures use the other images."""
    mos = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    quality = np.array([1.0, np.nan, 3.0, 4.0, 5.0])
    groups = np.array(["a_x"] * 5)
    folds = real_eval.leave_one_group_out({"brisque": quality}, mos, groups)
    assert folds["folds"]["a"]["brisque"] == pytest.approx(1.0)
    split = real_eval.parse_auroc_split("a_x:b_y")
    figures = real_eval.auroc(split, np.array(["a_x", "a_x", "b_y", "b_y"]), np.array([0.9, np.nan, 0.1, 0.2]))
    assert figures == {"positives": 1, "negatives": 2, "auroc": 1.0}
