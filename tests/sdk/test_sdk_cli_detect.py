import json

import pytest
from click.testing import CliRunner
from PIL import Image

from artifactsdk.cli import main
from tiny_bundle import red_square_image, write_red_square_images


@pytest.fixture
def folder(tmp_path):
    """20 good images (every other one with a red artifact) and 3 broken files."""
    root = write_red_square_images(tmp_path / "images", 20, 20)
    (root / "empty.png").write_bytes(b"")
    (root / "truncated.png").write_bytes((root / "img00.png").read_bytes()[:100])
    (root / "notes.png").write_text("this is text, not a PNG\n")
    (root / "readme.txt").write_text("not an image suffix: ignored\n")
    return root


def _run(args):
    return CliRunner().invoke(main, ["detect", *args])


def test_broken_files_are_reported_and_skipped(folder, tiny_bundle):
    result = _run([str(folder), "--bundle", str(tiny_bundle), "--jsonl"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    good = [r for r in records if "error" not in r]
    failed = sorted(r["source"].rsplit("/", 1)[1] for r in records if "error" in r)
    assert len(good) == 20 and failed == ["empty.png", "notes.png", "truncated.png"]
    assert sum(r["is_artifact"] for r in good) == 10
    assert "23 images: 20 processed, 10 flagged, 3 failed" in result.stderr
    assert "images/s" in result.stderr and result.stderr.count("error: ") == 3


def test_strict_and_all_failed_exit_non_zero(folder, tiny_bundle):
    assert _run([str(folder), "--bundle", str(tiny_bundle), "--strict", "--quiet"]).exit_code == 1
    broken = _run([str(folder / "empty.png"), str(folder / "missing.png"), "--bundle", str(tiny_bundle)])
    assert broken.exit_code == 1
    assert "missing.png: no such file" in broken.stderr


def _detect_to_out(folder, tiny_bundle, out, threshold: str):
    nested = folder / "sub"
    nested.mkdir(exist_ok=True)
    Image.fromarray(red_square_image(64, (44, 44, 62, 62))).save(nested / "deep.jpg")
    result = _run([str(folder), "-r", "--bundle", str(tiny_bundle), "--out", str(out), "--overlay", "--mask",
                   "--json", "--mode", "cascade", "--threshold", threshold, "--threads", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    return result


def test_out_writes_json_overlays_masks_and_summary(folder, tiny_bundle, tmp_path):
    out = tmp_path / "out"
    result = _detect_to_out(folder, tiny_bundle, out, "0.0")  # flags every image
    assert result.stderr.count("error: ") == 3 and "images/s" not in result.stderr
    printed = json.loads(result.stdout)
    assert len(printed["records"]) == 24 and printed["output"] == str(out)
    deep = json.loads((out / "sub" / "deep.json").read_text())
    assert deep["regions"][0]["caption"].startswith("Localized blur in the lower right")
    assert deep["pixel_threshold"] == 0.5 and deep["is_artifact"]
    overlay = Image.open(out / "sub" / "deep.overlay.png")
    assert overlay.size == (64, 64) and overlay.getpixel((52, 52))[2] > 100
    assert Image.open(out / "sub" / "deep.mask.png").getpixel((52, 52)) == 255
    assert not (out / "img01.json").read_text().count('"segmented": true')  # cascade skipped it
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["processed"], summary["failed"], summary["skipped"], summary["flagged"]) == (21, 3, 0, 21)
    assert summary["details"]["models"]["segmenter"]["backend"] == "ort-cpu"


def test_a_clean_verdict_outlines_nothing(folder, tiny_bundle, tmp_path):
    """The segmenter finds the red square, but --threshold 1.0 calls the image clean: no
    region and an empty mask, so the output never contradicts its own verdict."""
    out = tmp_path / "out"
    _detect_to_out(folder, tiny_bundle, out, "1.0")
    deep = json.loads((out / "sub" / "deep.json").read_text())
    assert deep["segmented"] and not deep["is_artifact"] and deep["regions"] == []
    assert Image.open(out / "sub" / "deep.mask.png").getextrema() == (0, 0)
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["processed"], summary["flagged"]) == (21, 0)


def test_usage_errors(folder, tiny_bundle, tmp_path):
    assert _run([str(folder), "--overlay"]).exit_code == 2
    assert _run([str(folder), "--json", "--jsonl"]).exit_code == 2
    (tmp_path / "nothing").mkdir()
    assert "no images found" in _run([str(tmp_path / "nothing")]).output
    bad_bundle = _run([str(folder), "--bundle", str(tmp_path / "nothing")])
    assert bad_bundle.exit_code == 1 and "no manifest.json" in bad_bundle.output
