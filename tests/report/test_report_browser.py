"""The report in a real headless Chromium: it renders, sorts, filters, pages and opens a detail view."""

import json
import struct
from urllib.parse import quote

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
    build_report(load_items(detect_out), detect_out, out, embed_mb=0)
    page = chromium.new_page()
    page.goto(out.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    loaded = "imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth > 0, () => false)))"
    assert page.eval_on_selector_all("#grid .card img", loaded) == [True] * 8
    page.click("#grid .card >> nth=0")
    assert page.eval_on_selector("#detail-image", "i => i.decode().then(() => i.naturalWidth > 0, () => false)")
    assert page.eval_on_selector("#detail-mask", "i => i.decode().then(() => i.naturalWidth > 0, () => false)")
    page.close()


# Script payloads for every string a record can carry: as markup, as an attribute, as a URL.
PAYLOADS = ['<img src=x onerror=alert("tag")>', '"><svg onload=alert("attribute")>', "javascript:alert('url')",
            "</script><script>alert('block')</script>", "{{ 7 * 7 }}<b>bold</b>"]


def crafted_results(folder, picture) -> list[dict]:
    records = []
    for n, text in enumerate(PAYLOADS):
        records.append({"source": f"{text}-{n}", "artifact_score": 0.9, "is_artifact": True, "labels": [text],
                        "scores": {text: 0.8, f"{text}-other": 0.1}, "size": [64, 64], "overlay": str(picture),
                        "regions": [{"box": [4, 4, 40, 40], "area_fraction": 0.3, "mean_score": 0.9, "label": text,
                                     "label_name": text, "caption": text}]})
        records.append({"source": f"failed {text}", "error": text, "error_type": text})
    return records


def test_script_payloads_in_every_field_stay_text(chromium, samples, tmp_path):
    results = tmp_path / f"{PAYLOADS[0]}.jsonl"  # the page title comes from this name
    results.write_text("\n".join(json.dumps(r) for r in crafted_results(tmp_path, samples / "synth-000007.png")))
    out = tmp_path / "report.html"
    build_report(load_items(results), results, out)
    page = chromium.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(out.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    for n, text in enumerate(PAYLOADS):
        page.goto(f"{out.as_uri()}#item-{2 * n}")  # each crafted image's detail view, opened by its fragment
        page.wait_for_selector("#detail[open]")
        assert page.text_content("#detail-title") == f"{text}-{n}"
        assert page.text_content("#detail-regions").startswith(text)
        assert text in page.text_content("#detail-scores")
        assert page.locator("#detail-boxes title").text_content() == text
    page.select_option("#status-filter", "failed")
    assert page.eval_on_selector_all("#grid .card .meta", "metas => metas.map(m => m.textContent)") == \
        [f"failed: {text}" for text in PAYLOADS]
    assert page.title() == f"Artifacts in {results.name}"
    page.wait_for_timeout(300)  # an injected onerror / onload would have run by now
    assert dialogs == [] and errors == []
    assert page.locator("img[src=x], svg[onload], #grid script, #detail script").count() == 0
    page.close()


def test_class_names_are_whole_and_inside_their_plot(page):
    names = page.eval_on_selector_all("#classes text.class-name", "texts => texts.map(t => t.textContent)")
    options = page.eval_on_selector_all("#class-filter option", "os => os.slice(1).map(o => o.value)")
    assert names and sorted(names) == sorted(options)  # every class, its whole key
    inside = """svg => { const box = svg.getBoundingClientRect();
      return Array.from(svg.querySelectorAll('text.class-name')).every((t) => {
        const r = t.getBoundingClientRect();
        return r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom; }); }"""
    assert page.eval_on_selector("#classes", inside)


def test_a_url_fragment_opens_that_images_detail_view(chromium, report_page, detect_out):
    items = load_items(detect_out)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{report_page.as_uri()}#item-5")
    page.wait_for_selector("#detail[open]")
    assert page.text_content("#detail-title") == items[5].source
    page.goto(f"{report_page.as_uri()}#source={quote(items[2].source)}")
    page.wait_for_selector(f"#detail-title:text-is('{items[2].source}')")
    page.click("#close-detail")
    page.wait_for_function("location.hash === ''")  # the dialog's close event runs as a task of its own
    assert not page.is_visible("#detail")
    page.click("#grid .card >> nth=0")  # opening a card names it in the URL, so it can be linked
    assert page.evaluate("location.hash").startswith("#item-")
    page.close()
