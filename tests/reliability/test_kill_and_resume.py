"""SIGKILL `artifactsdk detect DIR --out OUT` at random points 20 times, resuming each time:
in the end exactly one complete result per image and no partial file (issue 15 acceptance).

The kill points are drawn in progress, not in wall time: each run is killed after 0-8 more
writes (an image makes four: overlay, mask, JSON, index line), so every kill lands mid-run
however fast the machine is; a time-based kill let a fast CI machine finish every run first."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from artifactsdk.result_folder import INDEX_NAME, STATE_DIR
from tiny_bundle import red_square_image

IMAGES = 80  # more than 20 kills after at most two images each (and a poll's overshoot) can finish
KILLS = 20
WAIT_S = 120


def _writes(out) -> int:
    """Result files written so far plus index lines: it grows by four per finished image."""
    index = out / STATE_DIR / INDEX_NAME
    lines = index.read_bytes().count(b"\n") if index.exists() else 0
    files = 0
    for folder, subfolders, names in os.walk(out):  # walks on past folders the run removes meanwhile
        if Path(folder) == out and STATE_DIR in subfolders:
            subfolders.remove(STATE_DIR)
        files += len(names)
    return lines + files


def _wait_for_writes(process, out, count):
    """Block until `count` writes are done or the run ends; fail after WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while _writes(out) < count and process.poll() is None:
        assert time.monotonic() < deadline, f"no progress to {count} writes in {WAIT_S} s"
        time.sleep(0.001)


def _check_whole(out):
    """Every result file outside the state folder is complete: JSON parses, PNGs decode."""
    for path in out.rglob("*"):
        if STATE_DIR in path.relative_to(out).parts or not path.is_file():
            continue
        if path.suffix == ".json":
            json.loads(path.read_text())
        else:
            with Image.open(path) as image:
                image.load()


@pytest.mark.slow  # ~20 process starts
def test_kill_at_random_points_then_resume(tiny_bundle, tmp_path):
    folder, out = tmp_path / "images", tmp_path / "out"
    for i in range(IMAGES):
        path = folder / f"part{i % 3}" / f"im{i:03d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(red_square_image(256, (10 + i, 10, 100 + i, 90), seed=i)).save(path)
    command = [sys.executable, "-m", "artifactsdk.cli", "detect", str(folder), "-r", "--out", str(out),
               "--overlay", "--mask", "--bundle", str(tiny_bundle), "--resume", "-q", "--threads", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    rng = random.Random(15)
    runs_ended_before_kill = 0
    for _ in range(KILLS):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _wait_for_writes(process, out, _writes(out) + rng.randint(0, 8))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        else:
            runs_ended_before_kill += 1
        process.wait()
        _check_whole(out)
    assert runs_ended_before_kill == 0  # every kill landed mid-run
    final = subprocess.run(command, capture_output=True, text=True, env=env)
    assert final.returncode == 0, final.stderr
    _check_whole(out)
    images = sorted(p.relative_to(folder).with_suffix("").as_posix() for p in folder.rglob("*.png"))
    results = sorted(p.relative_to(out).as_posix()[:-len(".json")] for p in out.rglob("*.json")
                     if STATE_DIR not in p.relative_to(out).parts and p.name != "summary.json")
    assert results == images  # one result per image, no "-2" twins
    for stem in images:
        assert (out / f"{stem}.overlay.png").is_file() and (out / f"{stem}.mask.png").is_file()
    assert not list((out / STATE_DIR / "tmp").iterdir())
    index_keys = {json.loads(line)["key"] for line in (out / STATE_DIR / INDEX_NAME).read_text().splitlines()
                  if line.strip().startswith("{") and line.strip().endswith("}")}
    assert index_keys == {str(p) for p in folder.rglob("*.png")}
