"""Tuning on real images: the rated-set split, the ridge image score, the thresholds, and
`artifactsdk tune` end to end on tiny folders."""

import json
import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from scipy import ndimage, stats

from artifactsdk.cli import main
from artifactsdk.errors import DatasetError
from artifactsdk.models import shipped_weights
from artifactsdk.models.classifier import ArtifactClassifier
from artifactsdk.training.image_score import (SEGMENTER_WEIGHTS, ScoreHead, _HeadReads, choose_segmenter_weight,
                                              quantile_threshold)
from artifactsdk.training.real_data import RatedImage, read_ratings, split_by_prompt, write_ratings
from artifactsdk.training.synth.scenes import procedural_scene


def rated(n: int, groups=("a", "b")) -> list[RatedImage]:
    return [RatedImage(f"{groups[i % len(groups)]}_{i:03d}.jpg", f"prompt {i // 2}", float(i % 7), groups[i % len(groups)])
            for i in range(n)]


def test_split_by_prompt_keeps_each_prompt_on_one_side_and_is_repeatable():
    ratings = rated(200)
    train, heldout = split_by_prompt(ratings, 0.3)
    assert len(train) + len(heldout) == 200 and 30 < len(heldout) < 90
    assert not {r.prompt for r in train} & {r.prompt for r in heldout}
    assert split_by_prompt(ratings, 0.3) == (train, heldout)


def test_ratings_round_trip_and_a_missing_column_is_named(tmp_path):
    path = write_ratings(tmp_path / "r.csv", rated(6))
    back = read_ratings(path)
    assert [(r.name, r.mos, r.group) for r in back] == [(r.name, r.mos, r.group) for r in rated(6)]
    with pytest.raises(DatasetError, match="'quality'"):
        read_ratings(path, mos_column="quality")


def test_the_score_rises_as_the_opinion_falls():
    rng = np.random.default_rng(0)
    mos = rng.uniform(0, 5, 120)
    features = rng.normal(0, 0.3, (120, 8))
    features[:, 3] += 10 - mos  # one column says how bad an image is, on its own scale
    head = ScoreHead.fit(features, mos, alpha=1.0)
    logits = head.logits(features)
    assert stats.spearmanr(-logits, mos).statistic > 0.95
    assert np.median(logits) == pytest.approx(0.0, abs=0.2)  # the pivot: the median opinion


@pytest.mark.parametrize("score_encoder", [False, True])
def test_the_installed_score_is_the_fitted_one(score_encoder):
    """What the classifier outputs as its artifact logit equals the fitted map of what its
    head reads: the pooled features and the feature-map and natural-scene statistics, of
    its own encoder or of the one the classes read."""
    torch.manual_seed(0)
    model = ArtifactClassifier(13, nss=((123.7, 116.3, 103.5), (58.4, 57.1, 57.4)), stage_statistics=True,
                               score_encoder=score_encoder).eval()
    pixels = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        reads, classes = (part.double().numpy() for part in _HeadReads(model)(pixels))
    head = ScoreHead(np.random.default_rng(1).normal(0, 0.01, reads.shape[1]), 0.3, 1.0)
    head.install(model)
    with torch.no_grad():
        logit = model(pixels)[1][:, 0].double().numpy()
    np.testing.assert_allclose(logit, head.logits(reads), rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        expected = model.encoder.pooled(pixels, model.pooling).double().numpy()
    np.testing.assert_allclose(classes, expected, rtol=1e-5, atol=1e-6)


def test_quantile_threshold_never_goes_below_its_floor():
    scores = np.linspace(0, 1, 101)
    assert quantile_threshold(scores, 0.95, 0.1) == pytest.approx(0.95)
    assert quantile_threshold(scores, 0.95, 0.99) == 0.99
    assert quantile_threshold(np.array([]), 0.95, 0.3) == 0.3


@pytest.fixture(scope="module")
def tiny_real(tmp_path_factory):
    """A synth folder, a photo folder and rated images whose MOS falls with their blur."""
    root = tmp_path_factory.mktemp("real")
    runner = CliRunner()
    result = runner.invoke(main, ["synth", "--out", str(root / "synth"), "--count", "8", "--seed", "1",
                                  "--size", "96", "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    rng = np.random.default_rng(2)
    (root / "photos").mkdir()
    (root / "rated").mkdir()
    for i in range(6):
        Image.fromarray(procedural_scene(rng, 96)[0]).save(root / "photos" / f"p{i}.png")
    rows = []
    for i in range(8):
        scene = procedural_scene(rng, 96)[0].astype(np.float32)
        blurred = ndimage.gaussian_filter(scene, (i, i, 0)).astype(np.uint8)
        group = "blurry" if i >= 4 else "sharp"
        Image.fromarray(blurred).save(root / "rated" / f"{group}_{i:03d}.png")
        rows.append(RatedImage(f"{group}_{i:03d}.png", f"prompt {i}", 5.0 - 0.6 * i, group))
    write_ratings(root / "mos.csv", rows)
    return root


def test_tune_writes_tuned_checkpoints_with_thresholds_no_lower_than_their_floors(tiny_real, tmp_path):
    out = tmp_path / "tuned"
    result = CliRunner().invoke(main, [
        "tune", "--checkpoint", str(shipped_weights()), "--data", str(tiny_real / "synth"),
        "--photos", str(tiny_real / "photos"), "--mos-csv", str(tiny_real / "mos.csv"),
        "--images", str(tiny_real / "rated"), "--out", str(out), "--val-fraction", "0.5", "--threads", "1",
        "--classifier-input", "128", "--ridge-alpha", "1", "--ridge-alpha", "10", "--quiet"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "tuning.json").read_text())
    assert report["rated_images"] == 8 and report["synth_images"] == 4 and not report["skipped"]
    classifier = json.loads((out / "classifier" / "config.json").read_text())
    assert classifier["input"]["height"] == classifier["input"]["width"] == 128
    assert classifier["score_encoder"] and classifier["stage_statistics"] and classifier["evidence_map"]  # defaults
    assert classifier["tuning"]["options"]["ridge_alphas"] == [1.0, 10.0]
    assert report["classifier"]["leave_one_generator_out"]["alpha"] in (1.0, 10.0)
    trained = json.loads((shipped_weights() / "segmenter" / "config.json").read_text())["thresholds"]
    tuned = json.loads((out / "segmenter" / "config.json").read_text())["thresholds"]
    assert tuned["pixel"] >= trained["pixel"] and tuned["image"] >= trained["image"]
    weight = json.loads((out / "segmenter" / "config.json").read_text())["image_score"]["weight"]
    assert weight == report["segmenter"]["image_score_weight"]["weight"] in SEGMENTER_WEIGHTS


def test_the_segmenter_weight_is_the_one_that_ranks_the_rated_images_best():
    mos = np.linspace(0, 5, 40)
    ratings = [RatedImage(f"g{i % 2}_{i}", "", float(m), f"g{i % 2}") for i, m in enumerate(mos)]
    noise = np.random.default_rng(0).uniform(0, 1, 40)
    informative = 1 / (1 + np.exp(mos - 2.5))  # falls with MOS: a good artifact score
    assert choose_segmenter_weight(noise, 0.5, informative, 0.5, ratings)["weight"] == 1.0
    assert choose_segmenter_weight(informative, 0.5, noise, 0.5, ratings)["weight"] == 0.0


def test_an_unreadable_rated_image_is_skipped_and_the_rest_keep_their_ratings(tiny_real, tmp_path):
    rated = shutil.copytree(tiny_real / "rated", tmp_path / "rated")
    (rated / "blurry_005.png").write_bytes(b"not an image")
    out = tmp_path / "tuned"
    result = CliRunner().invoke(main, [
        "tune", "--checkpoint", str(shipped_weights()), "--data", str(tiny_real / "synth"),
        "--photos", str(tiny_real / "photos"), "--mos-csv", str(tiny_real / "mos.csv"), "--images", str(rated),
        "--out", str(out), "--val-fraction", "0.5", "--threads", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "tuning.json").read_text())
    assert report["rated_images"] == 7 and len(report["skipped"]) == 1 and "blurry_005.png" in report["skipped"][0]


def test_tune_refuses_to_write_over_its_input(tiny_real):
    result = CliRunner().invoke(main, [
        "tune", "--checkpoint", str(shipped_weights()), "--data", str(tiny_real / "synth"),
        "--photos", str(tiny_real / "photos"), "--mos-csv", str(tiny_real / "mos.csv"),
        "--images", str(tiny_real / "rated"), "--out", str(shipped_weights())])
    assert result.exit_code == 2 and "--out" in result.output


def test_tune_gives_the_classifier_its_evidence_map_and_reports_generator_folds(tiny_real, tmp_path):
    """With --evidence-map the tuned classifier outputs the map its image logit is the mean
    of; it reads the statistics asked for, and tuning.json has a fold per generator;
    --keep-segmenter writes no segmenter."""
    import torch

    from artifactsdk.models import load_checkpoint

    out = tmp_path / "tuned"
    result = CliRunner().invoke(main, [
        "tune", "--checkpoint", str(shipped_weights()), "--data", str(tiny_real / "synth"),
        "--photos", str(tiny_real / "photos"), "--mos-csv", str(tiny_real / "mos.csv"),
        "--images", str(tiny_real / "rated"), "--out", str(out), "--val-fraction", "0.5", "--threads", "1",
        "--classifier-input", "128", "--keep-segmenter", "--evidence-map", "--scene-statistics", "--quiet"])
    assert result.exit_code == 0, result.output
    assert not (out / "segmenter").exists()
    folds = json.loads((out / "tuning.json").read_text())["classifier"]["leave_one_generator_out"]
    assert set(folds["folds"]) == {"blurry", "sharp"}
    model, config = load_checkpoint(out / "classifier")
    assert config["evidence_map"] and config["scene_statistics"] and config["stage_statistics"]
    with torch.no_grad():
        _, logit, evidence = model(torch.randn(2, 3, 128, 128))
    assert evidence.shape == (2, 1, 4, 4)
    assert torch.allclose(logit[:, 0], evidence.mean(dim=(1, 2, 3)), atol=1e-5)
    # the statistics were fitted, not left at zero
    assert model.nss_head.weight.abs().sum() > 0 and model.stage_head.weight.abs().sum() > 0
    from artifactsdk.models.encoder import EfficientNetLite0, load_imagenet_weights

    imagenet = EfficientNetLite0(with_head=True)
    load_imagenet_weights(imagenet)
    for (name, expected), found in zip(imagenet.state_dict().items(), model.score_encoder.state_dict().values()):
        # the score's own encoder is ImageNet's, untouched (the shipped weights keep it in fp16)
        assert torch.allclose(expected.float(), found.float(), rtol=1e-3, atol=1e-4), name
