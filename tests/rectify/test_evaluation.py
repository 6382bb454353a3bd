import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from artifactsdk.cli import main
from artifactsdk.errors import DatasetError
from artifactsdk.rectify.evaluation import evaluate
from artifactsdk.rectify.metrics import PSNR_CAP, region_psnr, region_ssim
from fixing_scenes import blob_mask, corrupt, smooth_scene


def test_region_metrics():
    clean = smooth_scene(64)
    region = np.zeros((64, 64), bool)
    region[10:20, 10:20] = True
    shifted = clean.copy()
    shifted[region] = np.clip(shifted[region].astype(int) + 10, 0, 255)
    assert region_psnr(clean, clean, region) == PSNR_CAP
    assert region_psnr(shifted, clean, region) == pytest.approx(10 * np.log10(255 ** 2 / 100), abs=0.2)
    assert region_psnr(shifted, clean, ~region) == PSNR_CAP       # only the region counts
    assert region_ssim(clean, clean, region) == pytest.approx(1.0)
    assert region_ssim(corrupt(clean, region), clean, region) < 0.5


@pytest.fixture
def synthetic_set(tmp_path):
    """The layout of `artifactsdk synth --with-clean`: three positives and one negative."""
    for folder in ("images", "labels", "clean"):
        (tmp_path / folder).mkdir()
    for index in range(4):
        clean = smooth_scene(128, seed=index)
        mask = blob_mask(128, [(40 + 10 * index, 60)], 10) if index != 2 else np.zeros((128, 128), bool)
        name = f"{index:06d}.png"
        Image.fromarray(corrupt(clean, mask, seed=index)).save(tmp_path / "images" / name)
        Image.fromarray(clean).save(tmp_path / "clean" / name)
        Image.fromarray(mask.astype(np.uint8)).save(tmp_path / "labels" / name)
    return tmp_path


def test_evaluate_with_true_regions_measures_every_inpainter(synthetic_set):
    report = evaluate(synthetic_set, ("builtin", "telea"), regions="truth", device="cpu")
    assert report.images == 3 and report.negatives_skipped == 1
    assert report.psnr_before < 15
    for result in report.results:
        assert result.psnr_after > report.psnr_before + 10
        assert result.ssim_after > report.ssim_before
        assert result.area_before is None and result.area_reduction is None
    assert len(report.results) == 2 and report.results[1].inpainter == "telea"
    assert evaluate(synthetic_set, ("telea",), count=2, regions="truth").images == 2


def test_evaluate_refuses_a_set_without_clean_originals(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    with pytest.raises(DatasetError, match="--with-clean"):
        evaluate(tmp_path, ("telea",), regions="truth")


def test_eval_fix_command_writes_json_and_a_table(synthetic_set, tmp_path):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["eval-fix", "--data", str(synthetic_set), "--regions", "truth",
                                       "--inpainter", "diffusion", "--json", str(out), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert [r["inpainter"] for r in report["results"]] == ["diffusion", "telea"]
    assert report["images"] == 3
    assert "diffusion" in result.output and "PSNR gain >= 3.0 dB met" in result.output
