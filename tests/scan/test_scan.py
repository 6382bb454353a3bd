import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from artifactsdk.cli import main
from artifactsdk.scan.results import done_keys, part_files, read_results
from artifactsdk.scan.rows import SCHEMA, to_record
from test_provenance import check_provenance
from tiny_bundle import red_square_image

BROKEN = {"empty.png", "truncated.png", "notes.png"}


def _scan(*args):
    return CliRunner().invoke(main, ["scan", *map(str, args), "--quiet"])


def _records(out: Path) -> dict[str, dict]:
    return {Path(row["source"]).name: to_record(row) for row in read_results(out).to_pylist()}


def test_scan_rows_match_detect_json(folder, tiny_bundle, tmp_path):
    detected = CliRunner().invoke(main, ["detect", str(folder), "--bundle", str(tiny_bundle), "--json", "--quiet"])
    result = _scan(folder, "--out", tmp_path / "out", "--bundle", tiny_bundle, "--batch-size", "4",
                   "--workers", "2", "--streams", "2", "--mask", "--overlay")
    assert result.exit_code == 0, result.output
    rows = _records(tmp_path / "out")
    expected = {Path(record["source"]).name: record for record in json.loads(detected.stdout)["records"]}
    assert set(rows) == set(expected) and len(rows) == 13
    for name, record in expected.items():
        row = rows[name]
        assert row["source"] == os.path.abspath(folder / name)
        if name in BROKEN:
            assert "error" in record and row["error"] and row["error_type"] and row["artifact_score"] is None
            continue
        assert row["error"] is None
        assert {key: row[key] for key in record if key != "source"} == \
               {key: value for key, value in record.items() if key != "source"}
        assert row["file_bytes"] == (folder / name).stat().st_size and len(row["content_hash"]) == 64
        assert set(row["timings_ms"]) >= {"decode", "preprocess", "segmenter", "total"}
        mask = Image.open(tmp_path / "out" / row["mask"])
        assert mask.size == tuple(record["size"]) and (tmp_path / "out" / row["overlay"]).is_file()


def test_existing_results_need_resume_and_resume_adds_new_images_and_replaces_changed_ones(folder, tiny_bundle,
                                                                                           tmp_path):
    out = tmp_path / "out"
    assert _scan(folder, "--out", out, "--bundle", tiny_bundle).exit_code == 0
    again = _scan(folder, "--out", out, "--bundle", tiny_bundle)
    assert again.exit_code != 0 and "--resume" in again.output
    Image.fromarray(red_square_image(80, seed=99)).save(folder / "new.png")
    (folder / "img01.png").write_bytes((folder / "img04.png").read_bytes())  # same path, new content
    assert _scan(folder, "--out", out, "--bundle", tiny_bundle, "--resume").exit_code == 0
    rows = read_results(out).to_pylist()
    sources = Counter(Path(row["source"]).name for row in rows)
    assert len(rows) == 14 and set(sources.values()) == {1}  # one row per file
    changed = next(row for row in rows if Path(row["source"]).name == "img01.png")
    assert changed["content_hash"] == hashlib.sha256((folder / "img01.png").read_bytes()).hexdigest()


def test_killed_scan_resumes_to_exactly_one_row_per_image(tmp_path):
    """A real SIGKILL mid-scan (default bundle, so images take tens of ms each)."""
    images = tmp_path / "images"
    images.mkdir()
    for i in range(40):
        Image.fromarray(red_square_image(96, (10, 10, 10 + i, 40), seed=i)).save(images / f"{i:02d}.png")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "artifactsdk.cli", "scan", str(images), "--out", str(out), "--quiet",
               "--rows-per-part", "3", "--batch-size", "1", "--threads", "1"]
    process = subprocess.Popen(command, env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 120
    while not part_files(out) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = len(done_keys(out))
    assert 0 < before < 40, f"the kill came when {before} of 40 rows were written"
    subprocess.run([*command, "--resume"], check=True, timeout=300)
    rows = read_results(out).to_pylist()
    assert sorted(Path(row["source"]).name for row in rows) == [f"{i:02d}.png" for i in range(40)]
    assert all(row["error"] is None for row in rows)


def test_only_the_ray_engine_writes_to_a_uri(folder, tmp_path):
    result = _scan(folder, "--out", (tmp_path / "out").as_uri())
    assert result.exit_code == 2 and "only --engine ray writes to one" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_ray_local_mode_writes_the_local_engines_rows(folder, tiny_bundle, tmp_path):
    import ray

    local, on_ray = tmp_path / "local", tmp_path / "ray"
    assert _scan(folder, "--out", local, "--bundle", tiny_bundle).exit_code == 0
    ray_scan = [folder, "--out", on_ray.as_uri(), "--bundle", tiny_bundle, "--engine", "ray", "--concurrency", "1",
                "--ray-batch-size", "4"]  # a URI --out, as on a cluster (file:// for s3://)
    try:
        result = _scan(*ray_scan)
        assert result.exit_code == 0, result.output
        assert _scan(*ray_scan).exit_code != 0  # existing results need --resume
        resumed = _scan(*ray_scan, "--resume")
    finally:
        ray.shutdown()
    assert resumed.exit_code == 0, resumed.output
    assert len(part_files(on_ray)) and len(read_results(on_ray)) == 13  # the resume added no row
    import pyarrow.parquet as pq

    assert all(pq.read_schema(part).equals(SCHEMA) for part in part_files(on_ray))
    check_provenance(local, tiny_bundle)
    check_provenance(on_ray, tiny_bundle)  # the same names and metadata as the local engine's
    expected, got = _records(local), _records(on_ray)
    assert set(got) == set(expected) and len(got) == 13
    for name, row in expected.items():
        assert {k: v for k, v in got[name].items() if k != "timings_ms"} == \
               {k: v for k, v in row.items() if k != "timings_ms"}
