"""The demo page shows a bundle's label keys and names, and the captions made from them, as text."""

import json
import shutil

from PIL import Image

from artifactsdk.manifest import MANIFEST_NAME, write_manifest
from artifactsdk.web.browser import serve
from artifactsdk.web.export import export_web
from tiny_bundle import red_square_image


def crafted_bundle(tiny_bundle, folder):
    """The tiny bundle with a script payload for every class key and name."""
    bundle = folder / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    manifest = json.loads((bundle / MANIFEST_NAME).read_text())
    for label in manifest["models"]["classifier"]["labels"]:
        label["key"] = f'<img src=x onerror=alert("key {label["index"]}")>'
        label["name"] = f'<img src=x onerror=alert("name {label["index"]}")>'
    write_manifest(bundle, manifest)
    return bundle


def test_a_bundles_script_payloads_stay_text_on_the_demo_page(chromium, tiny_bundle, tmp_path, web_out):
    # web_out: the default export, which fetched (and cached) onnxruntime-web from npm or skipped without npm
    out = tmp_path / "site"
    export_web(crafted_bundle(tiny_bundle, tmp_path), out)
    Image.fromarray(red_square_image(64, (8, 8, 40, 40))).save(out / "red.png")
    with serve(out) as url:
        page = chromium.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url + "index.html")
        page.wait_for_function("document.getElementById('status').textContent.startsWith('ready')", timeout=120_000)
        page.set_input_files("#file", str(out / "red.png"))
        page.wait_for_selector("#latency", timeout=60_000)
        details = page.text_content("#details")
        page.wait_for_timeout(300)  # an injected onerror would have run by now
        injected = page.locator("#details img").count()
        page.close()
    assert '<img src=x onerror=alert("key ' in details  # the label key, as text
    assert '<img src=x onerror=alert("name ' in details  # the caption made from the class name
    assert dialogs == [] and errors == [] and injected == 0
