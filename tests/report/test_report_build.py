"""The report page: embedded or linked pictures, safe data, and outputs that never overwrite inputs."""

import json
import re

import pytest
from click.testing import CliRunner

from artifactsdk.cli import main
from artifactsdk.errors import InvalidInputError
from artifactsdk.report.build import build_report
from artifactsdk.report.results import Item, load_items


def page_data(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(block)


def test_small_run_embeds_every_picture_and_inlines_the_assets(detect_out, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(detect_out), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    data = page_data(html)
    assert len(data["items"]) == 8
    assert all(item["thumb"].startswith("data:image/jpeg;base64,") for item in data["items"])
    assert all(item["mask"].startswith("data:image/png;base64,") for item in data["items"])
    assert "<script src" not in html and "<link" not in html and "http" not in html.split("report-data")[0]
    assert not (tmp_path / "report_files").exists()


def test_large_run_writes_thumbnails_and_links_pictures_relatively(detect_jsonl, tmp_path):
    out = tmp_path / "sub" / "report.html"
    summary = build_report(load_items(detect_jsonl), detect_jsonl, out, embed_mb=0, page_size=5)
    data = page_data(out.read_text())
    assert summary["embedded"] is False and data["page_size"] == 5
    for item in data["items"]:
        assert not item["thumb"].startswith("data:") and (out.parent / item["thumb"]).is_file()
        assert (out.parent / item["image"]).resolve().is_file()
    assert len(list((tmp_path / "sub" / "report_files").glob("*.jpg"))) == 8


def test_data_cannot_close_the_script_block(tmp_path):
    results = tmp_path / "r.jsonl"
    results.write_text("{}")
    out = tmp_path / "r.html"
    build_report([Item(source="</script><b>x", error="bad")], results, out)
    html = out.read_text()
    assert "</script><b>" not in html
    assert page_data(html)["items"][0]["source"] == "</script><b>x"


def test_refuses_to_overwrite_an_input(detect_out):
    items = load_items(detect_out)
    with pytest.raises(InvalidInputError, match="not an HTML|ending in .html"):
        build_report(items, detect_out, items[0].image)
    html_input = detect_out / "results.html"
    html_input.write_text("mine")
    items.append(Item(source=str(html_input), image=html_input))
    with pytest.raises(InvalidInputError, match="outputs never overwrite inputs"):
        build_report(items, detect_out, html_input)
    assert html_input.read_text() == "mine"


def test_refuses_a_thumbnail_folder_holding_other_files(detect_jsonl, tmp_path):
    (tmp_path / "report_files").mkdir()
    (tmp_path / "report_files" / "notes.txt").write_text("keep me")
    with pytest.raises(InvalidInputError, match="was not written by artifactsdk report"):
        build_report(load_items(detect_jsonl), detect_jsonl, tmp_path / "report.html", embed_mb=0)
    assert (tmp_path / "report_files" / "notes.txt").read_text() == "keep me"


def test_cli_names_a_missing_input(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path / "nothing"), "--out", str(tmp_path / "r.html")])
    assert result.exit_code != 0 and "no such file or folder" in result.output


def test_embed_mode_writes_no_thumbnail_folder_and_leaves_one_of_the_users(detect_jsonl, tmp_path):
    users = tmp_path / "report_files"
    users.mkdir()
    (users / "000001.jpg").write_bytes(b"my photo")  # named like a thumbnail, but not the report's
    summary = build_report(load_items(detect_jsonl), detect_jsonl, tmp_path / "report.html")
    assert summary["embedded"] and (users / "000001.jpg").read_bytes() == b"my photo"
    users.rename(tmp_path / "kept")
    build_report(load_items(detect_jsonl), detect_jsonl, tmp_path / "report.html")
    assert not (tmp_path / "report_files").exists()


def test_linked_mode_refuses_a_users_folder_even_of_thumbnail_names(detect_jsonl, tmp_path):
    users = tmp_path / "report_files"
    users.mkdir()
    (users / "000001.jpg").write_bytes(b"my photo")
    result = CliRunner().invoke(main, ["report", str(detect_jsonl), "--out", str(tmp_path / "report.html"),
                                       "--embed-mb", "0"])
    assert result.exit_code == 2 and "report_files exists and was not written by artifactsdk report" in result.output
    assert [p.name for p in users.iterdir()] == ["000001.jpg"] and (users / "000001.jpg").read_bytes() == b"my photo"
    assert not (tmp_path / "report.html").exists()


def test_a_rerun_replaces_only_its_own_thumbnails(detect_jsonl, tmp_path):
    out, folder = tmp_path / "report.html", tmp_path / "report_files"
    build_report(load_items(detect_jsonl), detect_jsonl, out, embed_mb=0)
    (folder / "notes.txt").write_text("mine")
    build_report(load_items(detect_jsonl), detect_jsonl, out, embed_mb=0)  # linked again: thumbnails replaced
    assert len(list(folder.glob("*.jpg"))) == 8 and (folder / "notes.txt").read_text() == "mine"
    build_report(load_items(detect_jsonl), detect_jsonl, out)  # embedded now: its old thumbnails go, notes stay
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_refuses_to_replace_a_file_that_is_not_a_report(detect_jsonl, tmp_path):
    mine = tmp_path / "notes.html"
    mine.write_text("<p>my notes</p>")
    result = CliRunner().invoke(main, ["report", str(detect_jsonl), "--out", str(mine)])
    assert result.exit_code == 2 and "is not a page artifactsdk report wrote" in result.output
    assert mine.read_text() == "<p>my notes</p>"
    outside = tmp_path / "outside.html"
    outside.write_text("keep")
    (tmp_path / "link.html").symlink_to(outside)
    with pytest.raises(InvalidInputError, match="is not a page artifactsdk report wrote"):
        build_report(load_items(detect_jsonl), detect_jsonl, tmp_path / "link.html")
    assert outside.read_text() == "keep"
    report = tmp_path / "report.html"
    for _ in range(2):  # its own earlier page is replaced
        assert CliRunner().invoke(main, ["report", str(detect_jsonl), "--out", str(report)]).exit_code == 0


def test_pictures_are_linked_once_they_pass_the_size_budget(detect_jsonl, tmp_path):
    items = load_items(detect_jsonl)
    small = build_report(items, detect_jsonl, tmp_path / "small.html", embed_mb=10)
    page_bytes = (tmp_path / "small.html").stat().st_size
    assert small["embedded"] and page_bytes > 100_000
    large = build_report(items, detect_jsonl, tmp_path / "large.html", embed_mb=page_bytes / 4 / 1e6)
    assert not large["embedded"] and (tmp_path / "large.html").stat().st_size < page_bytes / 10
    result = CliRunner().invoke(main, ["report", str(detect_jsonl), "--out", str(tmp_path / "cli.html"),
                                       "--embed-mb", "0.01"])
    assert result.exit_code == 0 and "thumbnails in" in result.output


def test_non_finite_and_malformed_values_are_marked_and_the_page_still_parses(tmp_path):
    region = {"box": [0, 0, 8, 8], "area_fraction": 0.1, "caption": "c"}
    bad = {"nan score": {"artifact_score": float("nan")}, "inf score": {"artifact_score": float("inf")},
           "nan class score": {"artifact_score": 0.7, "scores": {"x": float("nan")}},
           "text area": {"artifact_score": 0.7, "regions": [{**region, "area_fraction": "big"}]},
           "no box": {"artifact_score": 0.7, "regions": [{"area_fraction": 0.1, "caption": "c"}]},
           "text verdict": {"is_artifact": "no"}, "bad size": {"artifact_score": 0.7, "size": ["a", 3]},
           "huge area": {"artifact_score": 0.7, "regions": [{**region, "area_fraction": 1e308}] * 2}}
    lines = [json.dumps({"source": "good.png", "artifact_score": 0.7, "regions": [region], "size": [8, 8]})]
    lines += [json.dumps({"source": name, **fields}) for name, fields in bad.items()]  # json writes NaN as NaN
    results = tmp_path / "r.jsonl"
    results.write_text("\n".join(lines))
    items = load_items(results)
    assert items[0].error is None and all(item.error for item in items[1:]), [item.error for item in items]
    reasons = {item.source: item.error for item in items[1:]}
    assert "finite number" in reasons["nan score"] and "finite number" in reasons["inf score"]
    assert "finite number" in reasons["text area"] and "no 'box'" in reasons["no box"]
    assert "should be in [0, 1]" in reasons["huge area"]
    summary = build_report(items, results, tmp_path / "r.html")
    assert summary["failed"] == len(bad)
    assert len(page_data((tmp_path / "r.html").read_text())["items"]) == len(items)  # strict JSON: no NaN


def test_crafted_fields_are_escaped_on_stderr(tmp_path):
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps({"source": "\x1b[2J\x1b]0;owned\x07x.png", "error": "bad\x1b[31m\nline"}))
    result = CliRunner().invoke(main, ["report", str(results), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "failed: \\x1b[2J\\x1b]0;owned\\x07x.png: bad\\x1b[31m\\nline" in result.stderr
