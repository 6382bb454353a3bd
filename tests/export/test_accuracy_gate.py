from dataclasses import dataclass

import numpy as np
import pytest
import tiny_models

from artifactsdk.calibration.sources import ImageSet, image_sha256
from artifactsdk.errors import ExportError
from artifactsdk.export.accuracy_gate import gate, require_pass
from artifactsdk.export.heldout import HeldOutSet, require_disjoint
from artifactsdk.export.pipeline import export_model
from artifactsdk.export.quantize import Int8Settings
from artifactsdk.export.settings import ExportSettings


@dataclass(frozen=True)
class Square:
    image: np.ndarray
    mask: np.ndarray
    annotations: tuple = ()


def bright_squares(count: int, seed: int) -> list[Square]:
    """Dark noisy pictures, most with one bright square (the 'artifact'), a few clean."""
    rng = np.random.default_rng(seed)
    samples = []
    for index in range(count):
        image = rng.integers(20, 60, (64, 64, 3)).astype(np.uint8)
        mask = np.zeros((64, 64), np.uint8)
        if index % 4:
            y, x = rng.integers(0, 40, 2)
            image[y:y + 20, x:x + 20] = rng.integers(200, 250, (20, 20, 3))
            mask[y:y + 20, x:x + 20] = 1
        samples.append(Square(image, mask))
    return samples


def image_set(samples, description) -> ImageSet:
    images = tuple(s.image for s in samples)
    return ImageSet(images, tuple(image_sha256(i) for i in images), description)


CONFIG = {**tiny_models.segmenter_config(), "thresholds": {"pixel": 0.6}}


def _export(tmp_path, calibration, max_drop=1.0, float_search=0):
    model = tiny_models.BrightnessSegmenter().eval()
    weights = tiny_models.save_weights(model, tmp_path / "ckpt")
    heldout = HeldOutSet(tuple(bright_squares(16, seed=1)), "bright squares, seed 1")
    # its only op is the output head: quantize it too, so calibration decides the int8 result
    options = ExportSettings(max_drop=max_drop, int8=Int8Settings(keep_float_heads=False, float_search=float_search))
    return export_model(model, CONFIG, weights, tmp_path, options, heldout, calibration)


def test_representative_calibration_passes_the_gate(tmp_path):
    result = _export(tmp_path, image_set(bright_squares(16, seed=2), "bright squares, seed 2"))
    assert result.entry["accuracy"]["fp32"]["iou"] == pytest.approx(1.0)
    assert result.gate.passed and abs(result.gate.drops["int8"]) <= 1.0
    assert result.entry["accuracy_gate"]["drop_points"] == result.gate.drops


def test_calibration_on_black_images_fails_the_gate_with_the_numbers(tmp_path):
    black = [Square(np.zeros((64, 64, 3), np.uint8), np.zeros((64, 64), np.uint8))]
    with pytest.raises(ExportError, match=r"(?s)segmenter fails the accuracy gate.*int8: iou lost 100\.00 points"):
        _export(tmp_path, image_set(black * 4, "black"))


def test_the_float_search_rescues_int8_that_fails_the_gate_and_records_what_it_kept(tmp_path):
    black = [Square(np.zeros((64, 64, 3), np.uint8), np.zeros((64, 64), np.uint8))]
    result = _export(tmp_path, image_set(black * 4, "black"), float_search=1)
    assert result.gate.passed and result.gate.drops["int8"] == pytest.approx(0.0, abs=1.0)
    search = result.entry["files"]["int8"]["quantization"]["float_search"]
    assert search["passed"] and len(search["kept_float_groups"]) == 1


def test_gate_compares_in_points_against_fp32():
    accuracy = {"fp32": {"iou": 0.80}, "int8": {"iou": 0.795}, "fp16": {"iou": 0.7801}}
    result = gate("segmenter", accuracy, 1.0, "synth", 10)
    assert result.drops == {"fp16": pytest.approx(1.99), "int8": pytest.approx(0.5)}
    assert not result.passed
    with pytest.raises(ExportError, match="fp16: iou lost 1.99 points"):
        require_pass(result)
    assert gate("segmenter", accuracy, 2.0, "synth", 10).passed
    assert gate("classifier", {"fp32": {"macro_f1": 0.5}, "int8": {"macro_f1": 0.6}}, 0.0, "s", 1).passed


def test_gate_needs_fp32_and_defined_metrics():
    with pytest.raises(ExportError, match="fp32"):
        gate("segmenter", {"int8": {"iou": 0.5}}, 1.0, "synth", 10)
    with pytest.raises(ExportError, match="undefined"):
        gate("classifier", {"fp32": {"macro_f1": None}, "int8": {"macro_f1": None}}, 1.0, "synth", 10)


def test_heldout_images_must_not_be_calibration_images():
    samples = bright_squares(4, seed=3)
    with pytest.raises(ExportError, match="1 of the 4 held-out images"):
        require_disjoint(HeldOutSet(tuple(samples), "held"), image_set(samples[:1] + bright_squares(2, 9), "calib"))
    require_disjoint(HeldOutSet(tuple(samples), "held"), image_set(bright_squares(4, seed=4), "calib"))
