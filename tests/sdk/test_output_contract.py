"""One output contract for every command that processes many images (issue 24, "Deliver" 2):
`--json` prints one summary object with the same keys on stdout (summary.schema.json), the
readable line goes to stderr, and every record detect and scan write is a detection record
(detection.schema.json)."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
import referencing
from click.testing import CliRunner

from artifactsdk.cli import main
from artifactsdk.record_schema import json_schema
from artifactsdk.run_summary import KEYS
from tiny_bundle import write_red_square_images


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schemas = [json_schema("summary"), json_schema("detection")]
    registry = referencing.Registry().with_resources(
        (schema["$id"], referencing.Resource.from_contents(schema)) for schema in schemas)
    return jsonschema.Draft202012Validator(json_schema(name), registry=registry)


SUMMARY, DETECTION = _validator("summary"), _validator("detection")


@pytest.fixture
def images(tmp_path):
    folder = write_red_square_images(tmp_path / "images", 4, 26, "img{}.png")
    (folder / "broken.png").write_bytes(b"not a png")
    return folder


def _run(*args) -> tuple[dict, str]:
    result = CliRunner().invoke(main, [*map(str, args), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # stdout holds the one JSON object and nothing else
    SUMMARY.validate(summary)
    assert tuple(key for key in summary if key in KEYS) == KEYS
    return summary, result.stderr


def _check_line(summary: dict, stderr: str) -> None:
    images = summary["processed"] + summary["failed"] + summary["skipped"]
    assert f"{images} images: {summary['processed']} processed, {summary['flagged']} flagged, " \
           f"{summary['failed']} failed" in stderr


def test_detect_summary_and_records(images, tiny_bundle, tmp_path):
    out = tmp_path / "detect"
    summary, stderr = _run("detect", images, "--out", out, "--bundle", tiny_bundle)
    assert (summary["processed"], summary["flagged"], summary["failed"], summary["output"]) == (4, 2, 1, str(out))
    _check_line(summary, stderr)
    assert len(summary["records"]) == 5
    written = [json.loads(path.read_text()) for path in out.glob("img*.json")]
    jsonl = CliRunner().invoke(main, ["detect", str(images), "--bundle", str(tiny_bundle), "--jsonl", "-q"])
    for record in [*summary["records"], *written, *map(json.loads, jsonl.stdout.splitlines())]:
        DETECTION.validate(record)


def test_scan_summary_and_rows(images, tiny_bundle, tmp_path):
    from artifactsdk.scan.results import read_results
    from artifactsdk.scan.rows import to_record

    out = tmp_path / "scan"
    summary, stderr = _run("scan", images, "--out", out, "--bundle", tiny_bundle, "--mask", "--overlay")
    assert (summary["processed"], summary["flagged"], summary["failed"], summary["output"]) == (4, 2, 1, str(out))
    _check_line(summary, stderr)
    for row in read_results(out).to_pylist():
        DETECTION.validate({key: value for key, value in to_record(row).items() if value is not None})


def test_rank_summary(images, tiny_bundle):
    summary, stderr = _run("rank", images, "--bundle", tiny_bundle)
    assert (summary["processed"], summary["flagged"], summary["failed"]) == (4, 2, 1)
    assert [row["rank"] for row in summary["details"]["ranking"]] == [1, 2, 3, 4]
    _check_line(summary, stderr)


def test_fix_summary(images, tiny_bundle, tmp_path):
    pytest.importorskip("torch")
    summary, stderr = _run("fix", images, "--out", tmp_path / "fixed", "--bundle", tiny_bundle, "--device", "cpu",
                           "--inpainter", "builtin")
    assert (summary["processed"], summary["failed"], summary["output"]) == (4, 1, str(tmp_path / "fixed"))
    _check_line(summary, stderr)


@pytest.mark.slow
def test_scan_on_ray_has_the_same_summary_and_ray_stays_quiet(images, tiny_bundle, tmp_path):
    """In a process of its own, as a user runs it: Ray's workers write to the real stderr."""
    command = [sys.executable, "-m", "artifactsdk.cli", "scan", str(images), "--out", str(tmp_path / "ray"),
               "--bundle", str(tiny_bundle), "--engine", "ray", "--ray-batch-size", "2", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    SUMMARY.validate(summary)
    assert (summary["processed"], summary["flagged"], summary["failed"], summary["skipped"]) == (4, 2, 1, 0)
    assert summary["details"]["engine"] == "ray"
    _check_line(summary, done.stderr)
    assert len(done.stderr.splitlines()) == 1, done.stderr  # the summary line: none of Ray's own
