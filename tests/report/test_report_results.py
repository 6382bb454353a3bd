"""Reading detect folders, JSON lines and scan Parquet files into report items."""

import json

import pytest

from artifactsdk.errors import InvalidInputError
from artifactsdk.report.results import load_items


def test_detect_folder_items_have_overlay_mask_and_the_records_fields(detect_out):
    items = load_items(detect_out)
    records = {json.loads(p.read_text())["source"]: json.loads(p.read_text())
               for p in detect_out.glob("*.json") if p.name != "summary.json"}
    assert len(items) == len(records) == 8
    for item in items:
        record = records[item.source]
        assert item.artifact_score == record["artifact_score"]
        assert item.is_artifact == record["is_artifact"]
        assert item.labels == record["labels"] and item.scores == record["scores"]
        assert item.image.name.endswith(".overlay.png") and item.image.is_file()
        assert item.mask.name.endswith(".mask.png") and item.mask.is_file()
        assert item.area == pytest.approx(sum(r["area_fraction"] for r in record["regions"]))


def test_jsonl_reports_a_bad_line_and_keeps_the_rest(detect_jsonl, tmp_path):
    lines = detect_jsonl.read_text().splitlines()
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join([lines[0], "8 images: 8 processed", '{"no_source": 1}', *lines[1:]]) + "\n")
    items = load_items(mixed)
    failed = [item for item in items if item.error]
    assert len(items) == 10 and len(failed) == 2
    assert "line 2" in failed[0].source and "not a JSON record" in failed[0].error
    assert "has no 'source'" in failed[1].error
    assert all(item.image is not None and item.image.is_file() for item in items if not item.error)


def test_detect_failure_records_become_failed_items(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"source": "x.png", "error": "x.png: the file is empty", "error_type": "E"}) + "\n")
    (item,) = load_items(path)
    assert item.error == "x.png: the file is empty" and item.source == "x.png"


def test_a_scan_out_folder_reads_all_its_parts_with_its_overlays(sample_images, detect_out, tmp_path):
    pytest.importorskip("pyarrow")
    from click.testing import CliRunner

    from artifactsdk.cli import main

    out = tmp_path / "scan"
    result = CliRunner().invoke(main, ["scan", str(sample_images), "--out", str(out), "--overlay", "--mask",
                                       "--rows-per-part", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    items = {item.source: item for item in load_items(out)}
    detected = {item.source: item for item in load_items(detect_out)}
    assert len(items) == len(detected) == 8  # three part files, every row
    for source, item in items.items():
        assert item.error is None and item.image.is_file() and item.mask.is_file()
        assert item.artifact_score == detected[source].artifact_score and item.labels == detected[source].labels


def test_parquet_with_map_struct_and_json_string_columns(detect_jsonl, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    records = [json.loads(line) for line in detect_jsonl.read_text().splitlines()]
    table = pa.table({
        "source": [r["source"] for r in records],
        "artifact_score": [r["artifact_score"] for r in records],
        "labels": [r["labels"] for r in records],
        "scores": pa.array([list(r["scores"].items()) for r in records], type=pa.map_(pa.string(), pa.float64())),
        "regions": [json.dumps(r["regions"]) for r in records],  # a JSON string column
        "extra": list(range(len(records))),
    })
    path = tmp_path / "scan.parquet"
    pq.write_table(table, path)
    items = load_items(path)
    assert [item.source for item in items] == [r["source"] for r in records]
    for item, record in zip(items, records):
        assert item.scores == record["scores"] and item.labels == record["labels"]
        # a region keeps the texts it has: an unlabelled region (no class over its threshold) has no label keys
        assert item.regions == [{key: value for key, value in region.items() if value is not None}
                                for region in record["regions"]]
        assert item.is_artifact == (record["artifact_score"] >= 0.5)  # no is_artifact column: from the score


def test_parquet_with_only_a_source_and_a_verdict_column(tmp_path, sample_images):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "minimal.parquet"
    pq.write_table(pa.table({"source": [str(p) for p in sorted(sample_images.iterdir())[:2]],
                             "is_artifact": [True, False]}), path)
    items = load_items(path)
    assert [item.error for item in items] == [None, None] and [item.is_artifact for item in items] == [True, False]
    assert items[0].artifact_score is None and items[0].labels == [] and items[0].regions == []


def test_a_record_without_a_verdict_is_failed_not_clean(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "minimal.parquet"
    pq.write_table(pa.table({"source": ["a.png"], "error": [""]}), path)  # no score, no verdict, empty error
    (item,) = load_items(path)
    assert "neither 'artifact_score' nor 'is_artifact'" in item.error


def test_bad_column_type_fails_that_row_only(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"source": ["a.png", "b.png"], "labels": ['["x"]', '{"not": "a list"}'],
                             "artifact_score": [0.7, 0.2]}), path)
    good, bad = load_items(path)
    assert good.error is None and good.labels == ["x"]
    assert "'labels' should be a list" in bad.error and "row 2" in bad.error


@pytest.mark.parametrize("content, message", [(None, "no such file"), ("", "holds no detection records")])
def test_unusable_inputs_are_named(tmp_path, content, message):
    path = tmp_path / "results.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InvalidInputError, match=message):
        load_items(path)


def test_a_file_that_is_not_parquet_is_named(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "scan.parquet"
    path.write_text("not parquet")
    with pytest.raises(InvalidInputError, match="not a readable Parquet file"):
        load_items(path)
