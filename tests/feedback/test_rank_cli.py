import csv
import subprocess
import sys

import pytest
from click.testing import CliRunner
from PIL import Image

from artifactsdk.cli import main
from tiny_bundle import red_square_image

# Red squares of growing size: the ranking by area must list them smallest first.
SIDES = {"big.png": 44, "none.png": 0, "small.png": 16, "medium.png": 28}


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "generated"
    root.mkdir()
    for name, side in SIDES.items():
        Image.fromarray(red_square_image(64, (4, 4, 4 + side, 4 + side), seed=side)).save(root / name)
    (root / "broken.png").write_bytes(b"not a png")
    return root


def run(*args):
    return CliRunner().invoke(main, ["rank", *map(str, args)])


def test_rank_by_area_writes_the_csv_and_copies_the_best(folder, tiny_bundle, tmp_path):
    table, best = tmp_path / "rank.csv", tmp_path / "best"
    result = run(folder, "--by", "area", "--bundle", tiny_bundle, "--csv", table, "--top", 2, "--copy-to", best)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[2].rsplit("/", 1)[1] for line in lines] == ["none.png", "small.png"]
    assert "error: " in result.stderr and "broken.png" in result.stderr
    assert "5 images: 4 processed, 3 flagged, 1 failed" in result.stderr
    rows = list(csv.DictReader(table.open()))
    assert [row["rank"] for row in rows[:2]] == ["1", "2"] and float(rows[0]["area"]) == 0.0
    assert float(rows[0]["reward"]) > float(rows[1]["reward"]) and rows[1]["labels"] == "localized_blur"
    assert sorted(p.name for p in best.iterdir()) == ["001-none.png", "002-small.png"]
    assert (best / "002-small.png").read_bytes() == (folder / "small.png").read_bytes()


def test_rank_by_score_lists_everything_without_top(folder, tiny_bundle):
    result = run(folder, "--bundle", tiny_bundle, "--quiet")
    assert result.exit_code == 0 and result.stderr.count("error: ") == 1
    names = [line.split()[2].rsplit("/", 1)[1] for line in result.stdout.splitlines()]
    assert names[0] == "none.png" and sorted(names) == sorted(SIDES)


def test_outputs_never_overwrite_inputs(folder, tiny_bundle):
    result = run(folder / "small.png", "--bundle", tiny_bundle, "--csv", folder / "small.png")
    assert result.exit_code == 2 and "outputs never overwrite inputs" in result.output
    # The best image would be copied as 001-none.png onto another input of that name.
    (folder / "001-none.png").write_bytes((folder / "big.png").read_bytes())
    result = run(folder / "none.png", folder / "001-none.png", "--bundle", tiny_bundle, "--copy-to", folder,
                 "--by", "area")
    assert result.exit_code == 2 and "is the input image" in result.output
    assert (folder / "001-none.png").read_bytes() == (folder / "big.png").read_bytes()


def test_no_readable_image_exits_1(tmp_path, tiny_bundle):
    (tmp_path / "a.png").write_text("text")
    result = run(tmp_path, "--bundle", tiny_bundle)
    assert result.exit_code == 1 and "0 processed" in result.stderr


def test_top_limits_the_list_and_the_copies_but_the_csv_has_every_image(folder, tiny_bundle, tmp_path):
    table = tmp_path / "rank.csv"
    result = run(folder, "--by", "area", "--bundle", tiny_bundle, "--csv", table, "--top", 1, "--quiet")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1
    rows = list(csv.DictReader(table.open()))
    assert [row["rank"] for row in rows] == ["1", "2", "3", "4", ""]
    assert [row["source"].rsplit("/", 1)[1] for row in rows] == ["none.png", "small.png", "medium.png", "big.png",
                                                                   "broken.png"]
    failed = rows[-1]  # a failed image is listed with its error, never with a reward as if clean
    assert "not an image format" in failed["error"] and failed["reward"] == failed["area"] == ""
    assert all(row["error"] == "" for row in rows[:4])


def test_an_unreadable_file_is_reported_once(tmp_path, tiny_bundle):
    """In a process of its own: pytest's log capture would hide a second report by logging."""
    text = tmp_path / "passwd"
    text.write_text("root:x:0:0:root:/root:/bin/bash\n")
    result = subprocess.run([sys.executable, "-m", "artifactsdk.cli", "rank", str(text), "--bundle", str(tiny_bundle)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.count("not an image format") == 1, result.stderr


def test_copy_to_refuses_a_name_already_there_and_copies_nothing(folder, tiny_bundle, tmp_path):
    best = tmp_path / "best"
    best.mkdir()
    (best / "002-small.png").write_bytes(b"mine")
    result = run(folder, "--by", "area", "--bundle", tiny_bundle, "--top", 2, "--copy-to", best)
    assert result.exit_code == 2 and "002-small.png already exists" in result.output
    assert (best / "002-small.png").read_bytes() == b"mine"
    assert sorted(p.name for p in best.iterdir()) == ["002-small.png"]  # all or nothing


def test_copy_to_never_writes_through_a_link_out_of_the_folder(folder, tiny_bundle, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep")
    best = tmp_path / "best"
    best.mkdir()
    (best / "001-none.png").symlink_to(outside)
    (best / "002-small.png").symlink_to(tmp_path / "dangling")  # a link to nothing is not a free name either
    for top in (1, 2):
        result = run(folder, "--by", "area", "--bundle", tiny_bundle, "--top", top, "--copy-to", best)
        assert result.exit_code == 2 and "001-none.png already exists" in result.output
    assert outside.read_bytes() == b"keep" and not (tmp_path / "dangling").exists()
