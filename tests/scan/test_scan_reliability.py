"""`scan` holds like `detect --out` does (issue 26, "Why" 2, 5-9, 15): odd file names, whole
pictures before their rows, its own outputs never scanned, a corrupt part set aside, one
run at a time, one row per file, files checked before they are read, clean Ray errors."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

pytest.importorskip("pyarrow")

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from artifactsdk.cli import main  # noqa: E402
from artifactsdk.detector import Detector  # noqa: E402
from artifactsdk.result_folder import hold_lock  # noqa: E402
from artifactsdk.scan.pipeline import Item, MediaWriter, Scanner  # noqa: E402
from artifactsdk.scan.results import LOCK_NAME, SET_ASIDE, part_files, read_results  # noqa: E402
from artifactsdk.scan.sources import MAX_FILE_BYTES  # noqa: E402
from tiny_bundle import red_square_image  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _scan(*args):
    return CliRunner().invoke(main, ["scan", *map(str, args)])


def _sources(out: Path) -> Counter:
    return Counter(row["source"] for row in read_results(out).to_pylist())


def test_a_file_name_that_is_not_utf8_is_kept_as_detect_writes_it(tiny_bundle, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    odd = os.path.join(os.fsencode(folder), b"bad\xff\xfename.png")
    Image.fromarray(red_square_image(64, (4, 6, 24, 26))).save(odd)
    Image.fromarray(red_square_image(64, seed=1)).save(folder / "fine.png")
    out = tmp_path / "out"
    result = _scan(folder, "--out", out, "--bundle", tiny_bundle, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["processed"] == 2
    detected = CliRunner().invoke(main, ["detect", str(folder), "--bundle", str(tiny_bundle), "--jsonl", "-q"])
    expected = {json.loads(line)["source"] for line in detected.stdout.splitlines()}
    assert set(_sources(out)) == expected and any(name.endswith("bad\\xff\\xfename.png") for name in expected)
    resumed = _scan(folder, "--out", out, "--bundle", tiny_bundle, "--resume", "--json")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["skipped"] == 2 and sum(_sources(out).values()) == 2


def test_a_row_comes_out_only_after_its_pictures_are_whole(tiny_bundle, tmp_path):
    pictures = []
    for i in range(12):
        path = tmp_path / f"{i}.png"
        Image.fromarray(red_square_image(96, (4, 6, 30 + i, 40), seed=i)).save(path)
        pictures.append(path)
    out = tmp_path / "out"
    with Detector.load(tiny_bundle, threads=1) as detector, \
            Scanner(detector, 2, 1, media=MediaWriter(out, mask=True, overlay=True)) as scanner:
        for row in scanner.rows(Item(str(path), path.read_bytes) for path in pictures):
            for kind in ("mask", "overlay"):
                with Image.open(out / row[kind]) as picture:
                    picture.load()  # whole at the moment its row is handed on
    assert not [p for p in out.rglob(".*")]  # no temporary file left


def test_a_picture_that_cannot_be_written_leaves_no_file_and_fails_its_row(tiny_bundle, tmp_path, monkeypatch):
    path = tmp_path / "a.png"
    Image.fromarray(red_square_image(96, (4, 6, 30, 40))).save(path)

    def half_then_full_disk(self, fp, format=None, **params):
        fp.write(PNG_SIGNATURE + b"half a picture")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", half_then_full_disk)
    out = tmp_path / "out"
    with Detector.load(tiny_bundle, threads=1) as detector, \
            Scanner(detector, 1, 1, media=MediaWriter(out, mask=False, overlay=True)) as scanner:
        rows = list(scanner.rows([Item(str(path), path.read_bytes)]))
    assert len(rows) == 1 and "No space left" in rows[0]["error"] and rows[0].get("overlay") is None
    assert not list((out / "overlays").iterdir())  # neither a half picture nor its temporary file


@pytest.mark.parametrize("inside", ["subfolder", "the scanned folder"])
def test_scan_never_reads_its_own_outputs(folder, tiny_bundle, inside):
    out = folder / "results" if inside == "subfolder" else folder
    images = len([p for p in folder.iterdir() if p.is_file()])
    first = _scan(folder, "-r", "--out", out, "--bundle", tiny_bundle, "--mask", "--overlay", "--quiet")
    assert first.exit_code == 0, first.output
    for _ in range(2):
        again = _scan(folder, "-r", "--out", out, "--bundle", tiny_bundle, "--mask", "--overlay", "--resume",
                      "--json", "--quiet")
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["skipped"] == images
    assert sum(_sources(out).values()) == images


def test_resume_sets_a_corrupt_or_foreign_part_aside_with_a_message(folder, tiny_bundle, tmp_path):
    out = tmp_path / "out"
    assert _scan(folder, "--out", out, "--bundle", tiny_bundle, "--rows-per-part", "5", "-q").exit_code == 0
    truncated = part_files(out)[0]
    truncated.write_bytes(truncated.read_bytes()[:300])
    pq.write_table(pa.table({"name": ["x"], "value": [1]}), out / "zz-foreign.parquet")
    result = _scan(folder, "--out", out, "--bundle", tiny_bundle, "--resume", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("not readable as scan results") == 2 and "Traceback" not in result.output
    assert sorted(p.name for p in (out / SET_ASIDE).iterdir()) == sorted([truncated.name, "zz-foreign.parquet"])
    assert json.loads(result.stdout)["processed"] + json.loads(result.stdout)["failed"] == 5  # the lost rows, redone
    assert sum(_sources(out).values()) == 13 and set(_sources(out).values()) == {1}


def test_one_scan_at_a_time_writes_into_a_folder(folder, tiny_bundle, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with hold_lock(out / LOCK_NAME, out):  # another scan is running
        result = _scan(folder, "--out", out, "--bundle", tiny_bundle, "-q")
    assert result.exit_code == 1 and "another run is writing" in result.output
    assert not part_files(out)
    assert _scan(folder, "--out", out, "--bundle", tiny_bundle, "-q").exit_code == 0  # released


def test_a_file_given_twice_or_through_a_link_has_one_row(folder, tiny_bundle, tmp_path, monkeypatch):
    os.symlink(folder / "img02.png", tmp_path / "link.png")
    out = tmp_path / "out"
    monkeypatch.chdir(folder)
    result = _scan(folder, "img00.jpg", folder / "img00.jpg", "./img01.png", tmp_path / "link.png", "--out", out,
                   "--bundle", tiny_bundle, "--json", "-q")
    assert result.exit_code == 0, result.output
    assert sum(_sources(out).values()) == 13 and set(_sources(out).values()) == {1}


def _sparse(path: Path, size: int, head: bytes = b"") -> Path:
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)
    return path


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak RSS from /proc")
def test_files_are_checked_by_size_and_header_before_they_are_read(tiny_bundle, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    _sparse(folder / "huge.png", 2 << 30, PNG_SIGNATURE)  # 2 GiB that start like a PNG
    _sparse(folder / "junk.png", MAX_FILE_BYTES - 1)  # under the size limit: its header gives it away
    Image.fromarray(red_square_image(64)).save(folder / "fine.png")
    out = tmp_path / "out"
    # the scan's own peak RSS (VmHWM starts afresh at exec, unlike getrusage's, which counts the forked parent)
    peak_at_exit = ("import atexit, sys; from artifactsdk.cli import main; atexit.register(lambda: print("
                    "'peak_kib', open('/proc/self/status').read().split('VmHWM:')[1].split()[0], file=sys.stderr)); "
                    "main(sys.argv[1:])")
    done = subprocess.run([sys.executable, "-c", peak_at_exit, "scan", str(folder), "--out", str(out), "--bundle",
                           str(tiny_bundle), "--json", "--workers", "1", "--threads", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = {Path(row["source"]).name: row for row in read_results(out).to_pylist()}
    assert "more than the" in rows["huge.png"]["error"] and "not read" in rows["huge.png"]["error"]
    assert "not an image file" in rows["junk.png"]["error"] and rows["fine.png"]["error"] is None
    assert json.loads(done.stdout)["processed"] == 1
    peak = int(done.stderr.split("peak_kib")[-1].split()[0]) * 1024
    assert peak < MAX_FILE_BYTES, f"peak RSS {peak / 2**20:.0f} MiB: a file was read whole"


def test_a_ray_client_address_without_ray_client_is_a_clean_error(folder, tiny_bundle, tmp_path):
    if importlib.util.find_spec("grpc") is not None:
        pytest.skip("Ray Client is installed here")
    result = _scan(folder, "--out", tmp_path / "out", "--engine", "ray", "--address", "ray://127.0.0.1:10001",
                   "--bundle", tiny_bundle)
    assert result.exit_code == 1 and "pip install 'ray[client]'" in result.output
    assert "Traceback" not in result.output


def test_an_address_nothing_answers_at_is_a_clean_error(folder, tiny_bundle, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _scan(folder, "--out", tmp_path / "out", "--engine", "ray", "--address", f"127.0.0.1:{port}",
                   "--bundle", tiny_bundle)
    assert result.exit_code == 1 and f"nothing answers at 127.0.0.1:{port}" in result.output, result.output
