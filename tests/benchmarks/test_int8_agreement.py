"""The int8 agreement tool: int8 against fp32 of the same bundle, and its int8 numbers
against a saved run (another CPU's)."""

import json

import numpy as np
from click.testing import CliRunner

from artifactsdk.benchmarks.int8_agreement import main
from tiny_bundle import build_tiny_bundle, write_red_square_images


def test_int8_is_compared_with_fp32_and_with_a_saved_run(tmp_path):
    bundle = build_tiny_bundle(tmp_path / "bundle")
    images = write_red_square_images(tmp_path / "images", 6, side=16)
    saved, report = tmp_path / "int8.npz", tmp_path / "report.json"
    first = CliRunner().invoke(main, [str(images), "--bundle", str(bundle), "--fp32", str(bundle),
                                      "--save", str(saved), "--json", str(report)])
    assert first.exit_code == 0, first.output
    summary = json.loads(report.read_text())["int8_vs_fp32"]
    assert summary["images"] == 6 and 0 <= summary["same_both"] <= summary["same_verdict"] <= 6
    assert summary["flagged_fp32"] == 3  # the three images with a red square

    again = CliRunner().invoke(main, [str(images), "--bundle", str(bundle), "--compare", str(saved)])
    assert again.exit_code == 0, again.output
    assert "artifact_score bitwise equal" in again.output and "masks bitwise equal" in again.output

    numbers = dict(np.load(saved))
    numbers["artifact_score"] = numbers["artifact_score"] + 1e-3
    np.savez(saved, **numbers)
    moved = CliRunner().invoke(main, [str(images), "--bundle", str(bundle), "--compare", str(saved)])
    assert "artifact_score differ by up to 0.001" in moved.output
