"""CLI and API limits (issue 15, "Why" 5): every parameter checked at the boundary."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from artifactsdk import Detector, DetectorClosedError, InvalidInputError
from artifactsdk.cli import main
from artifactsdk.detection import Detection, DetectionFailure
from artifactsdk.image_io import load_image
from artifactsdk.limits import max_threads
from tiny_bundle import red_square_image


@pytest.fixture
def image_file(tmp_path):
    from PIL import Image

    path = tmp_path / "red.png"
    Image.fromarray(red_square_image(64, (8, 8, 40, 40))).save(path)
    return path


def _detect(*args):
    return CliRunner().invoke(main, ["detect", *map(str, args)])


@pytest.mark.parametrize("value", ["nan", "inf", "-0.1", "1.5", "high"])
def test_cli_threshold_must_be_finite_in_unit_interval(image_file, tiny_bundle, value):
    result = _detect(image_file, "--bundle", tiny_bundle, "--threshold", value)
    assert result.exit_code == 2 and "--threshold" in result.output


def test_cli_threads_are_bounded(image_file, tiny_bundle):
    for value in ("0", str(max_threads() + 1), "100000"):
        result = _detect(image_file, "--bundle", tiny_bundle, "--threads", value)
        assert result.exit_code == 2 and "--threads" in result.output
    assert _detect(image_file, "--bundle", tiny_bundle, "--threads", max_threads(), "-q").exit_code == 0


def test_cli_missing_bundle_is_a_usage_error(image_file, tmp_path):
    result = _detect(image_file, "--bundle", tmp_path / "nonexistent")
    assert result.exit_code == 2 and "--bundle" in result.output


@pytest.mark.parametrize("kwargs, expected", [
    ({"threads": 100000}, "threads must be at least 1 and at most"),
    ({"threads": 0}, "threads must be at least 1"),
    ({"threads": 2.5}, "threads must be an integer"),
    ({"max_side": 0}, "max_side must be at least"),
    ({"max_side": -5}, "max_side must be at least"),
    ({"max_pixels": 0}, "max_pixels must be at least 1"),
    ({"thresholds": {"decision": "0.5"}}, "must be a number"),
    ({"thresholds": {"decision": float("nan")}}, "finite number"),
    ({"thresholds": {"pixel": 2.0}}, "finite number in"),
    ({"thresholds": {"decison": 0.5}}, "unknown thresholds"),
    ({"mode": "fast"}, "unknown mode"),
], ids=lambda value: str(value))
def test_detector_load_checks_every_argument_before_loading(tiny_bundle, kwargs, expected):
    with pytest.raises(InvalidInputError, match=expected):
        Detector.load(tiny_bundle, **kwargs)


@pytest.mark.parametrize("max_side", [0, -5])
def test_load_image_refuses_non_positive_sizes(max_side):
    with pytest.raises(InvalidInputError, match="max_side must be at least"):
        load_image(np.zeros((64, 64, 3), np.uint8), max_side=max_side)


def test_a_closed_detector_says_so(tiny_bundle):
    detector = Detector.load(tiny_bundle)
    detector.close()
    with pytest.raises(DetectorClosedError, match="closed"):
        detector.detect(np.zeros((64, 64, 3), np.uint8))


def test_detect_batch_gives_each_bad_image_its_error_record(tiny_bundle, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    good = red_square_image(64, (8, 8, 40, 40))
    with Detector.load(tiny_bundle) as detector:
        results = detector.detect_batch([good, broken, np.zeros((5, 5), np.float32) + 7, good], batch_size=2)
        with pytest.raises(Exception, match="not an image"):
            detector.detect(broken)  # one image: its error is raised, as before
    assert [type(r) for r in results] == [Detection, DetectionFailure, DetectionFailure, Detection]
    assert results[1].to_dict() == {"source": str(broken), "error": results[1].error, "error_type": "ImageDecodeError"}
    assert "values in [7, 7]" in results[2].error and results[0].is_artifact and results[3].is_artifact
