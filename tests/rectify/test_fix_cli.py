"""`artifactsdk fix` and `fix_image` end to end, with a real (tiny) bundle from the
runtime tests: its segmenter marks strongly red pixels, so red squares painted on a
smooth scene are artifacts the repair must remove."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from artifactsdk.cli import main
from fixing_scenes import smooth_scene
from tiny_bundle import build_tiny_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_tiny_bundle(tmp_path_factory.mktemp("fix_bundle"), variants=("fp32",))


def red_squares(size: int = 128) -> np.ndarray:
    image = (smooth_scene(size) * 0.6 + 60).astype(np.uint8)   # muted colours: never "red"
    image[16:48, 16:48] = (255, 0, 0)          # on the tiny segmenter's 16-pixel grid
    image[80:112, 64:112] = (250, 10, 5)
    return image


def is_red(image: np.ndarray) -> np.ndarray:
    return (image[..., 0] > 200) & (image[..., 1] < 60)


def test_fix_image_removes_what_the_detector_found(bundle):
    from artifactsdk import Detector
    from artifactsdk.rectify import fix_image
    detector = Detector.load(bundle, backend="ort-cpu")
    image = red_squares()
    result = fix_image(detector, image, inpainter="telea", device="cpu")
    assert result.record.area_before > 0.1
    assert result.record.area_after == 0.0
    assert result.before.regions and not result.after.regions
    assert is_red(result.image).sum() < 0.05 * is_red(image).sum()   # the coarse mask rounds corners
    assert result.record.to_dict()["area_reduction"] == 1.0


def test_fix_command_writes_repairs_comparisons_and_records(bundle, tmp_path):
    Image.fromarray(red_squares()).save(tmp_path / "red.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["fix", str(tmp_path / "red.png"), str(tmp_path / "broken.png"),
                                       "--out", str(out), "--bundle", str(bundle), "--backend", "ort-cpu",
                                       "--inpainter", "builtin", "--device", "cpu", "--save-comparison",
                                       "--threads", "1"])
    assert result.exit_code == 0, result.output
    repaired = np.asarray(Image.open(out / "red.png"))
    assert repaired.shape == (128, 128, 3)
    assert is_red(repaired).sum() < 0.05 * is_red(red_squares()).sum()
    comparison = Image.open(out / "red.comparison.png")
    assert comparison.width == 3 * 128 + 16 and comparison.height > 128
    records = [json.loads(line) for line in (out / "fix.jsonl").read_text().splitlines()]
    good = next(r for r in records if r["source"].endswith("red.png"))
    assert good["area_before"] > 0.1 and good["area_after"] < 0.01 and good["rounds"][0]["repair"]["regions"] == 2
    assert any("error" in r and r["source"].endswith("broken.png") for r in records)
    assert "2 images: 1 processed, 1 flagged, 1 failed" in result.output


def test_fix_command_fails_when_nothing_could_be_repaired(bundle, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"")
    result = CliRunner().invoke(main, ["fix", str(tmp_path / "broken.png"), "--out", str(tmp_path / "out"),
                                       "--bundle", str(bundle), "--quiet"])
    assert result.exit_code != 0 and "no image could be repaired" in result.output
