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
    summary = build_report(load_items(detect_jsonl), detect_jsonl, out, embed_limit=3, page_size=5)
    data = page_data(out.read_text())
    assert summary["embedded"] is False and data["page_size"] == 5
    for item in data["items"]:
        assert not item["thumb"].startswith("data:") and (out.parent / item["thumb"]).is_file()
        assert (out.parent / item["image"]).resolve().is_file()
    assert len(list((tmp_path / "sub" / "report_files").iterdir())) == 8


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
    with pytest.raises(InvalidInputError, match="holds files this report did not write"):
        build_report(load_items(detect_jsonl), detect_jsonl, tmp_path / "report.html", embed_limit=0)
    assert (tmp_path / "report_files" / "notes.txt").read_text() == "keep me"


def test_cli_names_a_missing_input(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path / "nothing"), "--out", str(tmp_path / "r.html")])
    assert result.exit_code != 0 and "no such file or folder" in result.output
