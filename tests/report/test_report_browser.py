"""The report in a real headless Chromium: it renders, sorts, filters, pages and opens a detail view."""

import struct

import pytest

from artifactsdk.report.build import build_report
from artifactsdk.report.results import load_items


@pytest.fixture(scope="module")
def report_page(detect_out, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    build_report(load_items(detect_out), detect_out, out, page_size=5)
    return out


@pytest.fixture
def page(chromium, report_page):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(report_page.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    yield page
    assert errors == []
    page.close()


def cards(page) -> list[dict]:
    return page.eval_on_selector_all("#grid .card", "cards => cards.map(c => ({score: +c.dataset.score, "
                                     "area: +c.dataset.area, flagged: c.dataset.flagged === 'true', "
                                     "labels: c.dataset.labels.split(' ').filter(Boolean)}))")


def test_renders_pages_counts_and_plots(page):
    shown = cards(page)
    assert len(shown) == 5  # page size 5 of 8 images
    assert page.text_content("#page-info").startswith("1-5 of 8")
    assert page.text_content("#counts").startswith("8 images: 3 flagged, 5 clean, 0 failed")
    assert page.locator("#histogram rect").count() == 20
    assert page.locator("#classes rect").count() >= 1
    assert all(page.eval_on_selector_all("#grid .card img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"))
    page.click("#next-page")
    assert len(cards(page)) == 3 and page.text_content("#page-info").startswith("6-8 of 8")


def test_sorts_by_score_and_area(page):
    page.select_option("#sort", "score-asc")
    scores = [c["score"] for c in cards(page)]
    assert scores == sorted(scores) and len(scores) == 5
    page.select_option("#sort", "area-desc")
    areas = [c["area"] for c in cards(page)]
    assert areas == sorted(areas, reverse=True) and areas[0] > 0


def test_filters_by_verdict_and_class(page):
    page.select_option("#status-filter", "flagged")
    flagged = cards(page)
    assert len(flagged) == 3 and all(c["flagged"] for c in flagged)
    page.select_option("#status-filter", "clean")
    assert len(page.locator("#grid .card").all()) == 5 and not any(c["flagged"] for c in cards(page))
    page.select_option("#status-filter", "all")
    label = page.eval_on_selector("#class-filter", "s => s.options[1].value")
    page.select_option("#class-filter", label)
    assert cards(page) and all(label in c["labels"] for c in cards(page))


def test_detail_view_shows_image_mask_regions_and_scores(page, tmp_path):
    page.select_option("#sort", "area-desc")
    page.click("#grid .card >> nth=0")
    assert page.is_visible("#detail")
    assert page.eval_on_selector("#detail-image", "i => i.complete && i.naturalWidth > 0")
    assert page.eval_on_selector("#detail-mask", "i => i.complete && i.naturalWidth > 0")
    assert "% of the image" in page.text_content("#detail-regions")
    assert page.locator("#detail-scores tr").count() == 13  # the default classifier's classes
    shot = tmp_path / "detail.png"
    page.screenshot(path=str(shot))
    width, height = struct.unpack(">II", shot.read_bytes()[16:24])  # the PNG header
    assert (width, height) == (1280, 900)
    page.click("#close-detail")
    assert not page.is_visible("#detail")


def test_linked_pictures_load_from_disk(chromium, detect_out, tmp_path):
    """A large run's page (thumbnails beside it, pictures linked where they lie) opens offline."""
    out = tmp_path / "large" / "report.html"
    build_report(load_items(detect_out), detect_out, out, embed_limit=0)
    page = chromium.new_page()
    page.goto(out.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    loaded = "imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth > 0, () => false)))"
    assert page.eval_on_selector_all("#grid .card img", loaded) == [True] * 8
    page.click("#grid .card >> nth=0")
    assert page.eval_on_selector("#detail-image", "i => i.decode().then(() => i.naturalWidth > 0, () => false)")
    assert page.eval_on_selector("#detail-mask", "i => i.decode().then(() => i.naturalWidth > 0, () => false)")
    page.close()
