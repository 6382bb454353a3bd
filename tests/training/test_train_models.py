import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from artifactsdk import taxonomy
from artifactsdk.cli import main
from artifactsdk.models import load_checkpoint
from artifactsdk.training import train as train_module
from artifactsdk.training.arrays import ClassificationArrays, SegmentationArrays
from artifactsdk.training.evaluate import evaluate
from artifactsdk.training.train import ArraySample, TrainOptions, train_classifier, train_segmenter

OPTIONS = TrainOptions(epochs=3, batch_size=4, crop=64, input_size=64, val_fraction=0.25, warmup_steps=1,
                       lr=3e-3, min_class_support=1, quiet=True)
NOISE, BRIGHT = 9, 12  # abnormal texture, impractical luminosity


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: on a small shared CPU two threads spin-wait on each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_images(count=16, size=64, seed=0):
    """Flat images; odd ones get a noisy square (class 9), every third a bright one (class 12)."""
    rng = np.random.default_rng(seed)
    images, masks, classes = [], [], np.zeros((count, taxonomy.NUM_CLASSES), np.float32)
    for i in range(count):
        image = np.full((size, size, 3), rng.integers(60, 160), np.uint8)
        mask = np.zeros((size, size), np.uint8)
        side = size // 4
        if i % 2:
            y, x = rng.integers(0, size - side, 2)
            image[y:y + side, x:x + side] = rng.integers(0, 256, (side, side, 3))
            mask[y:y + side, x:x + side] = 1
            classes[i, NOISE] = 1
        if i % 3 == 0:
            image[:side, -side:] = 255
            mask[:side, -side:] = 1
            classes[i, BRIGHT] = 1
        images.append(image)
        masks.append(mask)
    return images, masks, classes


def classification_data():
    images, _, classes = tiny_images()
    return ClassificationArrays(np.stack(images), classes, np.ones(len(images), bool), classes.max(axis=1))


def test_segmenter_loss_falls_and_the_checkpoint_loads(tmp_path):
    images, masks, _ = tiny_images()
    result = train_segmenter(SegmentationArrays(images, masks), tmp_path, OPTIONS)
    assert len(result.log) == 3
    assert result.log[-1]["train_loss"] < result.log[0]["train_loss"]
    model, config = load_checkpoint(result.checkpoint)
    assert config["task"] == "segmentation" and config["input"]["height"] == 64
    assert 0 <= config["thresholds"]["pixel"] <= 1 and config["training"]["val_images"] == 4
    lines = (tmp_path / "train_log.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]


def test_training_resumes_where_it_stopped_and_matches_an_uninterrupted_run(tmp_path, monkeypatch):
    images, masks, _ = tiny_images(8)
    data, options = SegmentationArrays(images, masks), replace(OPTIONS, epochs=2, val_fraction=0.0)
    reference = train_segmenter(data, tmp_path / "straight", options)

    calls, real_batch = [], train_module.segmentation_batch

    def crash_in_second_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:  # 8 images / batch 4 = 2 steps per epoch
            raise KeyboardInterrupt
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(train_module, "segmentation_batch", crash_in_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        train_segmenter(data, tmp_path / "resumed", options)
    monkeypatch.setattr(train_module, "segmentation_batch", real_batch)
    resumed = train_segmenter(data, tmp_path / "resumed", replace(options, resume=True))

    assert [e["train_loss"] for e in resumed.log] == [e["train_loss"] for e in reference.log]
    a, _ = load_checkpoint(reference.checkpoint)
    b, _ = load_checkpoint(resumed.checkpoint)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(x, y), name


def test_classifier_trains_its_classes_and_leaves_the_rest_zero_shot(tmp_path):
    torch.manual_seed(1)
    text = torch.randn(taxonomy.NUM_CLASSES, 384)
    result = train_classifier(classification_data(), tmp_path, OPTIONS, text_embeddings=text)
    assert result.log[-1]["train_loss"] < result.log[0]["train_loss"]
    model, config = load_checkpoint(result.checkpoint)
    assert config["trained_classes"] == ["abnormal_texture", "impractical_luminosity"]
    untrained = [c.index for c in taxonomy.CLASSES if c.index not in (NOISE, BRIGHT)]
    assert torch.all(model.class_bias[untrained] == -3.0)
    assert model.class_bias[NOISE] != -3.0
    assert torch.allclose(model.text_embeddings, torch.nn.functional.normalize(text, dim=-1))
    assert set(config["thresholds"]) == {"artifact", "classes"}


def test_init_starts_from_a_checkpoint_of_the_same_architecture(tmp_path):
    images, masks, _ = tiny_images(8)
    trained = train_segmenter(SegmentationArrays(images, masks), tmp_path, replace(OPTIONS, epochs=1))
    start, config = load_checkpoint(trained.checkpoint)
    model = train_module.initial_model(config, replace(OPTIONS, init=str(trained.checkpoint)))
    for (name, x), y in zip(start.state_dict().items(), model.state_dict().values()):
        assert torch.equal(x, y), name
    with pytest.raises(ValueError, match="this run trains"):
        train_module.initial_model(train_module.classifier_config(64), replace(OPTIONS, init=str(trained.checkpoint)))


def test_evaluate_gives_perfect_scores_to_an_oracle():
    images, masks, classes = tiny_images(12)
    samples = [ArraySample(image, mask, None) for image, mask in zip(images, masks)]
    seg_config = {"thresholds": {"pixel": 0.5}}
    result = evaluate(samples, predict_segmenter=lambda image: _oracle_mask(samples, image).astype(np.float32),
                      segmenter_config=seg_config, quiet=True)["segmenter"]
    assert (result["iou"], result["f1"], result["auroc"], result["clean_fp_area"]) == (1.0, 1.0, 1.0, 0.0)
    assert result["clean_images"] == 4 and result["images"] == 12


def _oracle_mask(samples, image):
    return next(s.mask for s in samples if s.image is image)


def test_train_and_eval_commands_on_a_synth_folder(tmp_path):
    runner = CliRunner()
    data = tmp_path / "data"
    for args in (["synth", "--out", str(data), "--count", "10", "--seed", "3", "--size", "64", "--workers", "1",
                  "--quiet"],
                 ["train", "segmenter", "--data", str(data), "--out", str(tmp_path / "seg"), "--epochs", "1",
                  "--batch-size", "4", "--crop", "64", "--input-size", "64", "--no-imagenet", "--quiet"],
                 ["train", "classifier", "--data", str(data), "--out", str(tmp_path / "cls"), "--epochs", "1",
                  "--batch-size", "4", "--crop", "64", "--min-class-support", "1", "--no-imagenet", "--quiet"],
                 ["eval", "--checkpoint", str(tmp_path / "seg"), "--checkpoint", str(tmp_path / "cls"),
                  "--data", str(data), "--json", str(tmp_path / "eval.json")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args[0], result.output, result.exception)
    assert "macro_f1" in result.output and "clean_fp_area" in result.output
    metrics = json.loads((tmp_path / "eval.json").read_text())
    assert {"iou", "f1", "auroc", "clean_fp_area"} <= set(metrics["segmenter"])
    assert {"macro_f1", "map", "auroc", "per_class"} <= set(metrics["classifier"])
    trained = json.loads((tmp_path / "cls" / "config.json").read_text())["trained_classes"]
    assert set(metrics["classifier"]["per_class"]) == set(trained)
