"""`artifactsdk eval` on real data (--clean-photos, --mos-csv, --split) with a real tiny
bundle from the runtime tests: its models flag strongly red pixels, so red squares are
known artifacts, and blurring a checkerboard gives images of known sharpness."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from scipy import ndimage, stats

from artifactsdk.cli import main
from artifactsdk.errors import InvalidInputError
from artifactsdk.training.datasets import load_samples
from artifactsdk.training.real_data import group_from_name
from artifactsdk.training.baselines import laplacian_variance
from artifactsdk.training.real_eval import parse_auroc_split
from tiny_bundle import build_tiny_bundle, red_square_image

NO_BOX = (0, 0, 0, 0)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_tiny_bundle(tmp_path_factory.mktemp("real_eval_bundle"), variants=("fp32",))


def run_eval(bundle: Path, *arguments: str):
    return CliRunner().invoke(main, ["eval", *arguments, "--bundle", str(bundle), "--backend", "ort-cpu",
                                     "--threads", "1"])


def save(image: np.ndarray, path: Path) -> Path:
    Image.fromarray(image).save(path)
    return path


def checkerboard(size: int = 64, cell: int = 8) -> np.ndarray:
    y, x = np.indices((size, size))
    grey = np.where((y // cell + x // cell) % 2, 192, 64).astype(np.uint8)
    return np.stack([grey] * 3, axis=-1)


def blurred(image: np.ndarray, sigma: float) -> np.ndarray:
    if sigma == 0:
        return image
    return np.clip(ndimage.gaussian_filter(image.astype(float), (sigma, sigma, 0)) + 0.5, 0, 255).astype(np.uint8)


def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("name, group", [("sd1.5_lowstep_012.jpg", "sd1.5_lowstep"),
                                         ("midjourney_normal_000.png", "midjourney_normal"),
                                         ("sd1.5_lowstep_7", "sd1.5_lowstep"), ("photo.jpg", "photo")])
def test_group_from_name_drops_suffix_and_trailing_number(name, group):
    assert group_from_name(name) == group


def test_auroc_split_syntax():
    split = parse_auroc_split("midjourney_lowstep+sd1.5_lowstep:midjourney_normal+sd1.5_normal")
    assert split.positives == ("midjourney_lowstep", "sd1.5_lowstep")
    assert split.negatives == ("midjourney_normal", "sd1.5_normal")
    with pytest.raises(InvalidInputError, match="POSITIVES:NEGATIVES"):
        parse_auroc_split("a,b")
    with pytest.raises(InvalidInputError, match="both sides"):
        parse_auroc_split("a+b:b")


def test_laplacian_variance_falls_with_blur():
    board = checkerboard()
    variances = [laplacian_variance(blurred(board, sigma)) for sigma in (0, 0.5, 1, 2)]
    assert variances == sorted(variances, reverse=True) and variances[-1] > 0
    assert laplacian_variance(np.full((16, 16, 3), 77, np.uint8)) == 0.0


def test_clean_photos_counts_flags_and_skips_unreadable_files(bundle, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for seed in range(3):
        save(red_square_image(64, NO_BOX, seed), photos / f"grey{seed}.png")
    save(red_square_image(64, (0, 0, 32, 32), 3), photos / "red.png")
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    (photos / "notes.txt").write_text("not an image")
    out = tmp_path / "clean.json"
    result = run_eval(bundle, "--clean-photos", str(photos), "--worst", "2", "--json", str(out))
    assert result.exit_code == 0, result.output
    assert "broken.jpg" in result.stderr and "flag rate 0.250" in result.stdout
    report = json.loads(out.read_text())["clean_photos"]
    assert (report["images"], report["failed"], report["flag_rate"]) == (4, 1, 0.25)
    assert len(report["worst"]) == 2 and report["worst"][0]["name"] == "red.png"
    areas = {item["name"]: item["area"] for item in report["per_image"]}
    assert areas["red.png"] == pytest.approx(0.25, abs=0.01) and areas["grey1.png"] == 0.0
    assert report["mean_area"] == pytest.approx(np.mean(list(areas.values())))
    assert report["mean_artifact_score"] == pytest.approx(np.mean([i["score"] for i in report["per_image"]]))


def test_clean_photos_empty_folder_is_an_error(bundle, tmp_path):
    result = run_eval(bundle, "--clean-photos", str(tmp_path))
    assert result.exit_code == 1 and "no images found" in result.output


def test_mos_baseline_ranks_known_sharpness_perfectly(bundle, tmp_path):
    """Ten checkerboards ever more blurred, MOS falling with the blur: the Laplacian
    variance ranks them exactly, overall, within each group and between the groups."""
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for index in range(10):
        name = f"{'sharp' if index < 5 else 'blurred'}_{index:03d}.png"
        save(blurred(checkerboard(), 0.3 * index), images / name)
        rows.append({"name": name, "mos_quality": 5.0 - 0.4 * index})
    rows.append({"name": "sharp_099.png", "mos_quality": 3.0})  # listed, never written
    out = tmp_path / "mos.json"
    result = run_eval(bundle, "--mos-csv", str(write_csv(tmp_path / "mos.csv", rows)), "--images", str(images),
                      "--group-from-name", "--auroc-groups", "blurred:sharp", "--json", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    assert "sharp_099.png" in result.stderr
    report = json.loads(out.read_text())["mos"]
    assert (report["listed"], report["images"], report["failed"]) == (11, 10, 1)
    baseline = report["baselines"]["laplacian_variance"]
    assert baseline["spearman"] == pytest.approx(1.0)
    assert baseline["groups"]["sharp"]["spearman"] == pytest.approx(1.0)
    assert baseline["mean_within_group_spearman"] == pytest.approx(1.0)
    assert baseline["auroc"]["blurred:sharp"] == {"positives": 5, "negatives": 5, "auroc": 1.0}
    per_image = report["per_image"]
    mos = [item["mos"] for item in per_image]
    assert [item["group"] for item in per_image] == ["sharp"] * 5 + ["blurred"] * 5
    assert baseline["pearson"] == pytest.approx(stats.pearsonr([i["laplacian_variance"] for i in per_image],
                                                               mos).statistic)


def test_mos_detector_figures_agree_with_scipy_and_separate_red_groups(bundle, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for index in range(6):
        red = index % 2 == 0
        name = f"img{index}.png"
        save(red_square_image(64, (0, 0, 8 + 8 * index, 32) if red else NO_BOX, index), images / name)
        rows.append({"name": name, "source": "red" if red else "grey", "mos_quality": (index * 7) % 5})
    out = tmp_path / "mos.json"
    result = run_eval(bundle, "--mos-csv", str(write_csv(tmp_path / "mos.csv", rows)), "--images", str(images),
                      "--group-column", "source", "--auroc-groups", "red:grey", "--json", str(out))
    assert result.exit_code == 0, result.output
    assert "spearman" in result.stdout and "red:grey" in result.stdout
    report = json.loads(out.read_text())["mos"]
    per_image = report["per_image"]
    scores = np.array([item["score"] for item in per_image])
    mos = [item["mos"] for item in per_image]
    assert report["spearman"] == pytest.approx(stats.spearmanr(-scores, mos).statistic)
    assert report["pearson"] == pytest.approx(stats.pearsonr(-scores, mos).statistic)
    assert report["auroc"]["red:grey"]["auroc"] == 1.0
    assert report["groups"]["red"]["flag_rate"] == 1.0 and report["groups"]["grey"]["flag_rate"] == 0.0
    assert report["groups"]["red"]["n"] == 3
    assert report["mean_within_group_spearman"] is None  # no group has 5 images
    assert report["flag_rate"] == 0.5


def test_mos_csv_without_the_mos_column_says_what_it_found(bundle, tmp_path):
    save(red_square_image(64, NO_BOX), tmp_path / "a.png")
    table = write_csv(tmp_path / "mos.csv", [{"name": "a.png", "quality": 3}])
    result = run_eval(bundle, "--mos-csv", str(table), "--images", str(tmp_path))
    assert result.exit_code == 1
    assert "no column 'mos_quality'" in result.output and "found 'name', 'quality'" in result.output


def test_auroc_with_an_unknown_group_fails_before_running(bundle, tmp_path):
    save(red_square_image(64, NO_BOX), tmp_path / "grey_000.png")
    table = write_csv(tmp_path / "mos.csv", [{"name": "grey_000.png", "mos_quality": 3}])
    result = run_eval(bundle, "--mos-csv", str(table), "--images", str(tmp_path), "--group-from-name",
                      "--auroc-groups", "red:grey")
    assert result.exit_code == 1 and "unknown group 'red'" in result.output and "grey" in result.output


def test_eval_without_a_mode_is_a_usage_error(bundle):
    result = run_eval(bundle)
    assert result.exit_code == 2 and "--clean-photos" in result.output and "--mos-csv" in result.output


def pal_split(root: Path, split: str, count: int) -> Path:
    for folder in ("images", "labels"):
        (root / folder / split).mkdir(parents=True)
    for index in range(count):
        save(red_square_image(64, (0, 0, 16, 16) if index % 2 else NO_BOX, index),
             root / "images" / split / f"pal_{index}.png")
        mask = np.zeros((64, 64), np.uint8)
        mask[:16, :16] = index % 2
        save(mask, root / "labels" / split / f"pal_{index}.png")
    return root


def test_load_samples_reads_the_given_split(tmp_path):
    root = pal_split(pal_split(tmp_path, "test", 3), "train", 1)
    assert [s.name for s in load_samples(root, quiet=True, split="test")] == ["pal_0", "pal_1", "pal_2"]


def test_eval_split_scores_a_pal_test_folder(bundle, tmp_path):
    root = pal_split(tmp_path / "pal", "test", 3)
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(main, ["eval", "--data", str(root), "--split", "test", "--bundle", str(bundle),
                                       "--json", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["segmenter"]["images"] == 3
    without_split = CliRunner().invoke(main, ["eval", "--data", str(root), "--bundle", str(bundle), "--quiet"])
    assert without_split.exit_code == 1 and "split" in without_split.output
