"""Smaller input cases (issue 15, "Why" 6): 16-bit scaling, unreadable folders, odd file
names, the float-TIFF error; plus property-based tests of image decoding."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from artifactsdk import ArtifactSDKError
from artifactsdk.cli import main
from artifactsdk.image_io import load_image
from tiny_bundle import red_square_image


def test_uint16_arrays_and_16_bit_files_are_scaled_alike(tmp_path):
    values = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) % 256  # 0..255 held in 16 bits
    path = tmp_path / "gray16.png"
    Image.fromarray(values).save(path)
    from_file = load_image(path).pixels
    from_array = load_image(np.stack([values] * 3, axis=2)).pixels
    assert np.array_equal(from_file, from_array)
    wide = (values.astype(np.uint32) * 257).astype(np.uint16)  # the same picture over the full 16-bit range
    Image.fromarray(wide).save(path)
    assert np.array_equal(load_image(path).pixels[..., 0], values.astype(np.uint8))
    assert np.array_equal(load_image(np.stack([wide] * 3, axis=2)).pixels[..., 0], values.astype(np.uint8))


def test_the_float_tiff_error_names_the_file(tmp_path):
    path = tmp_path / "levels.tif"
    Image.fromarray(np.full((40, 40), 300.0, np.float32)).save(path)
    with pytest.raises(ArtifactSDKError, match="levels.tif"):
        load_image(path)


def test_an_unreadable_subfolder_is_reported(tmp_path):
    root = Path(tempfile.mkdtemp(prefix="unreadable-"))  # outside pytest's 0700 folder: another user reads it
    try:
        os.chmod(root, 0o755)
        (root / "ok").mkdir()
        Image.fromarray(red_square_image(64, (0, 0, 0, 0))).save(root / "ok" / "a.png")
        (root / "locked").mkdir()
        Image.fromarray(red_square_image(64, (0, 0, 0, 0))).save(root / "locked" / "b.png")
        os.chmod(root / "locked", 0)
        # Root reads every folder, so as root the scan drops to user nobody once everything is imported.
        script = ("import json, os, sys; from pathlib import Path; from artifactsdk.image_files import collect_inputs;"
                  "os.geteuid() == 0 and os.setuid(65534);"
                  "found, failed = collect_inputs((Path(sys.argv[1]),), True);"
                  "print(json.dumps([[str(f) for f, _ in found], failed]))")
        done = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, cwd="/")
        assert done.returncode == 0, done.stderr
        found, failed = json.loads(done.stdout)
        assert found == [str(root / "ok" / "a.png")]
        assert [f["source"] for f in failed] == [str(root / "locked")] and "cannot read" in failed[0]["error"]
    finally:
        os.chmod(root / "locked", 0o755)
        subprocess.run(["rm", "-rf", str(root)], check=True)


def test_odd_file_names_stay_exact_and_on_one_line(tiny_bundle, tmp_path):
    folder = tmp_path / "names"
    folder.mkdir()
    names = [b"two\nlines.png", b"latin1-\xe9t\xe9.png", b"plain.png"]
    for name in names:
        Image.fromarray(red_square_image(64, (8, 8, 40, 40))).save(os.path.join(os.fsencode(folder), name))
    runner = CliRunner()
    jsonl = runner.invoke(main, ["detect", str(folder), "--bundle", str(tiny_bundle), "--jsonl", "-q"])
    assert jsonl.exit_code == 0, jsonl.output
    lines = jsonl.stdout.splitlines()
    assert len(lines) == 3 and all("\\ud" not in line for line in lines)  # no lone surrogates
    sources = sorted(json.loads(line)["source"].rsplit("/", 1)[1] for line in lines)
    assert sources == ["latin1-\\xe9t\\xe9.png", "plain.png", "two\nlines.png"]
    human = runner.invoke(main, ["detect", str(folder), "--bundle", str(tiny_bundle), "-q"])
    assert human.exit_code == 0 and len(human.stdout.splitlines()) == 3 and "two\\nlines.png" in human.stdout


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_any_bytes_decode_or_fail_with_an_sdk_error(data):
    try:
        decoded = load_image(data, max_pixels=1 << 20)
    except ArtifactSDKError:
        return
    assert decoded.pixels.dtype == np.uint8 and decoded.pixels.ndim == 3 and decoded.pixels.shape[2] == 3


@settings(max_examples=60, deadline=None)
@given(arrays(st.sampled_from([np.uint8, np.uint16, np.float32, np.int32]),
              st.tuples(st.integers(1, 48), st.integers(1, 48), st.sampled_from([1, 3, 4]))))
def test_any_array_decodes_or_fails_with_an_sdk_error(array):
    try:
        decoded = load_image(array)
    except ArtifactSDKError:
        return
    assert decoded.pixels.dtype == np.uint8 and decoded.pixels.shape[2] == 3 and max(decoded.size) <= 4096


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 200), st.integers(1, 200), st.sampled_from(["PNG", "JPEG", "BMP", "TIFF", "GIF", "WEBP"]),
       st.integers(0, 2000))
def test_encoded_images_are_bounded_and_truncations_fail_cleanly(width, height, fmt, cut):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(buffer, format=fmt)
    data = buffer.getvalue()
    decoded = load_image(data, max_side=64)
    assert max(decoded.size) <= 64 and decoded.original_size == (width, height)
    try:
        load_image(data[:cut])
    except ArtifactSDKError:
        pass


def test_a_thin_strip_is_not_upscaled_past_max_side():
    decoded = load_image(np.zeros((1, 3000, 3), np.uint8))  # found by the property test above
    assert max(decoded.size) <= 4096 and decoded.pixels.nbytes <= 4096 * 32 * 3
