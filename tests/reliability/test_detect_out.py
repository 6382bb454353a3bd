"""`detect --out` loses nothing (issue 15, "Why" 3): no input overwritten, no name collision,
no re-ingested output, existing results kept, a failed write is one image's error, --resume."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner
from PIL import Image

from artifactsdk.cli import main
from artifactsdk.result_folder import INDEX_NAME, STATE_DIR
from tiny_bundle import red_square_image


def _image(path, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(red_square_image(64, (4 + seed, 6, 24 + seed, 26), seed=seed)).save(path)
    return path


def _detect(*args):
    return CliRunner().invoke(main, ["detect", *map(str, args)])


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_out_in_the_input_folder_never_overwrites_an_input(tiny_bundle, tmp_path):
    folder = tmp_path / "images"
    _image(folder / "x.png")
    victim = _image(folder / "x.overlay.png", seed=3)  # an input that looks like x.png's overlay
    before = victim.read_bytes()
    result = _detect(folder, "--out", folder, "--overlay", "--mask", "--bundle", tiny_bundle, "--jsonl")
    assert result.exit_code == 0, result.output
    assert victim.read_bytes() == before
    sources = {json.loads((folder / name).read_text())["source"] for name in _files(folder)
               if name.endswith(".json") and name != "summary.json"}
    assert sources == {str(folder / "x.png"), str(victim)}  # both inputs got their own result


def test_an_input_named_summary_keeps_its_record(tiny_bundle, tmp_path):
    folder = tmp_path / "images"
    _image(folder / "summary.png")
    out = tmp_path / "out"
    assert _detect(folder, "--out", out, "--bundle", tiny_bundle, "-q").exit_code == 0
    records = [json.loads((out / name).read_text()) for name in _files(out) if name.endswith(".json")]
    assert any(r.get("source") == str(folder / "summary.png") for r in records)
    assert json.loads((out / "summary.json").read_text())["processed"] == 1


def test_reruns_never_ingest_earlier_outputs(tiny_bundle, tmp_path):
    folder = tmp_path / "images"
    for i in range(3):
        _image(folder / f"img{i}.png", seed=i)
    inside = folder / "results"
    counts = []
    for _ in range(3):
        result = _detect(folder, "-r", "--out", inside, "--overlay", "--mask", "--bundle", tiny_bundle,
                         "--overwrite", "--jsonl", "-q")
        assert result.exit_code == 0, result.output
        counts.append((len(result.stdout.splitlines()), len(_files(folder))))
    assert counts[0] == counts[1] == counts[2] and counts[0][0] == 3


def test_reruns_into_the_input_folder_never_ingest_earlier_outputs(tiny_bundle, tmp_path):
    folder = tmp_path / "images"
    for i in range(3):
        _image(folder / "sub" / f"img{i}.png", seed=i)
    for _ in range(2):
        result = _detect(folder, "-r", "--out", folder, "--overlay", "--bundle", tiny_bundle, "--overwrite",
                         "--jsonl", "-q")
        assert result.exit_code == 0, result.output
        assert len(result.stdout.splitlines()) == 3


def test_existing_results_are_kept_unless_overwrite(tiny_bundle, tmp_path):
    folder, out = tmp_path / "images", tmp_path / "out"
    _image(folder / "a.png")
    assert _detect(folder, "--out", out, "--bundle", tiny_bundle, "-q").exit_code == 0
    (out / "a.json").write_text("my notes\n")  # the user's own file where a result would go
    again = _detect(folder, "--out", out, "--bundle", tiny_bundle)
    assert again.exit_code == 2 and "--resume" in again.output and "--overwrite" in again.output
    assert (out / "a.json").read_text() == "my notes\n"
    assert _detect(folder, "--out", out, "--bundle", tiny_bundle, "--overwrite", "-q").exit_code == 0
    assert json.loads((out / "a.json").read_text())["source"] == str(folder / "a.png")


def test_a_failed_write_is_that_images_error_and_the_batch_goes_on(tiny_bundle, tmp_path):
    folder, out = tmp_path / "images", tmp_path / "out"
    for i in range(3):
        _image(folder / f"img{i}.png", seed=i)
    (out / "img1.json").mkdir(parents=True)  # a directory in the way
    result = _detect(folder, "--out", out, "--bundle", tiny_bundle, "--overwrite", "--jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [("error" in r) for r in records] == [False, True, False]
    assert records[1]["source"] == str(folder / "img1.png") and "3 images: 2 processed" in result.stderr
    assert not list((out / STATE_DIR / "tmp").iterdir())  # the failed write left no partial file


def test_resume_skips_finished_images_from_the_index(tiny_bundle, tmp_path):
    folder, out = tmp_path / "images", tmp_path / "out"
    for i in range(4):
        _image(folder / f"img{i}.png", seed=i)
    assert _detect(folder, "--out", out, "--overlay", "--bundle", tiny_bundle, "-q").exit_code == 0
    index = (out / STATE_DIR / INDEX_NAME).read_text().splitlines()
    assert len(index) == 4 and json.loads(index[0])["outputs"] == ["img0.overlay.png", "img0.json"]
    os.remove(out / "img2.json")  # an unfinished result: redone
    result = _detect(folder, "--out", out, "--overlay", "--bundle", tiny_bundle, "--resume", "--jsonl")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["source"] for line in result.stdout.splitlines()] == [str(folder / "img2.png")]
    assert "1 processed" in result.stderr and "3 already done" in result.stderr and "4 images: 1 processed" in result.stderr


def test_resume_and_overwrite_need_out_and_exclude_each_other(tiny_bundle, tmp_path):
    image = _image(tmp_path / "a.png")
    assert _detect(image, "--resume", "--bundle", tiny_bundle).exit_code == 2
    assert _detect(image, "--out", tmp_path / "o", "--resume", "--overwrite", "--bundle", tiny_bundle).exit_code == 2


def test_a_conflict_with_earlier_results_is_found_before_the_models_load(tiny_bundle, tmp_path):
    folder, out = tmp_path / "images", tmp_path / "out"
    _image(folder / "a.png")
    assert _detect(folder, "--out", out, "--bundle", tiny_bundle, "-q").exit_code == 0
    broken = shutil.copytree(tiny_bundle, tmp_path / "broken_bundle")
    model = next(broken.glob("*.onnx"))
    model.write_bytes(model.read_bytes() + b"tampered")  # loading it would fail its hash check
    again = _detect(folder, "--out", out, "--bundle", broken)
    assert again.exit_code == 2, again.output
    assert "already holds results" in again.output and "sha256" not in again.output


def test_a_run_that_processed_nothing_keeps_the_earlier_summary(tiny_bundle, tmp_path):
    folder, out = tmp_path / "images", tmp_path / "out"
    _image(folder / "a.png")
    assert _detect(folder, "--out", out, "--bundle", tiny_bundle, "-q").exit_code == 0
    first = (out / "summary.json").read_text()
    assert json.loads(first)["processed"] == 1
    assert _detect(folder, "--out", out, "--bundle", tiny_bundle, "--resume", "-q").exit_code == 0
    assert (out / "summary.json").read_text() == first


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_results_are_as_readable_as_the_umask_says(tiny_bundle, tmp_path, umask):
    folder, out = tmp_path / "images", tmp_path / "out"
    _image(folder / "a.png")
    previous = os.umask(umask)
    try:
        result = _detect(folder, "--out", out, "--overlay", "--mask", "--bundle", tiny_bundle, "-q")
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    modes = {name: (out / name).stat().st_mode & 0o777 for name in _files(out) if not name.startswith(".")}
    assert set(modes) == {"a.json", "a.overlay.png", "a.mask.png", "summary.json"}
    assert set(modes.values()) == {0o666 & ~umask}, modes
