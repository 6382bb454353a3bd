"""Parquet results say what made them (issue 24, "Deliver" 4): the artifactsdk version, the
bundle and its models' sha256, the thresholds and when, in every part file's metadata, read
back by `report` into its page header; both engines name their part files the same way."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from click.testing import CliRunner

pytest.importorskip("pyarrow")

import pyarrow.parquet as pq  # noqa: E402

from artifactsdk import __version__  # noqa: E402
from artifactsdk.cli import main  # noqa: E402
from artifactsdk.detector import Detector  # noqa: E402
from artifactsdk.scan.results import METADATA_KEY, part_files, read_provenance  # noqa: E402

PART_NAME = re.compile(r"part-\d{8}T\d{12}Z-[0-9a-f]+-\d{5}-\d+\.parquet")


def check_provenance(out, tiny_bundle) -> None:
    """Every part of `out` is named by the one pattern and carries the tiny bundle's provenance."""
    with Detector.load(tiny_bundle) as detector:
        described = detector.describe()
    parts = part_files(out)
    assert parts and all(PART_NAME.fullmatch(part.name) for part in parts), [p.name for p in parts]
    for part in parts:
        made_by = json.loads(pq.read_schema(part).metadata[METADATA_KEY])
        assert made_by["artifactsdk_version"] == __version__
        assert made_by["bundle"]["name"] == described["bundle_name"]
        assert {role: model["sha256"] for role, model in made_by["models"].items()} == \
               {role: model["sha256"] for role, model in described["models"].items()}
        assert made_by["thresholds"] == described["thresholds"]
        assert datetime.fromisoformat(made_by["created"]).tzinfo is not None


def test_local_parts_carry_their_provenance_and_the_report_shows_it(folder, tiny_bundle, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["scan", str(folder), "--out", str(out), "--bundle", str(tiny_bundle),
                                       "--rows-per-part", "5", "-q"])
    assert result.exit_code == 0, result.output
    assert len(part_files(out)) == 3
    check_provenance(out, tiny_bundle)
    assert len(read_provenance(out)) == 1  # one run
    page = tmp_path / "report.html"
    reported = CliRunner().invoke(main, ["report", str(out), "--out", str(page)])
    assert reported.exit_code == 0, reported.output
    header = re.search(r'<p id="made-by">(.*?)</p>', page.read_text()).group(1)
    segmenter = read_provenance(out)[0]["models"]["segmenter"]["sha256"]
    assert header.startswith(f"Made by artifactsdk {__version__}, bundle ") and segmenter[:12] in header


def test_the_report_reads_detect_json_output(folder, tiny_bundle, tmp_path):
    printed = CliRunner().invoke(main, ["detect", str(folder), "--bundle", str(tiny_bundle), "--json", "-q"])
    saved = tmp_path / "detect.json"
    saved.write_text(printed.stdout)
    page = tmp_path / "report.html"
    reported = CliRunner().invoke(main, ["report", str(saved), "--out", str(page)])
    assert reported.exit_code == 0, reported.output
    assert "13 images" in reported.output and 'id="made-by"></p>' in page.read_text()  # no provenance in JSON
