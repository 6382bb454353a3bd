import shutil
from pathlib import Path

import pytest
from PIL import Image

from artifactsdk.web.browser import serve
from artifactsdk.web.export import export_web


@pytest.fixture(scope="session")
def web_out(tmp_path_factory) -> Path:
    """`export-web` of the default bundle (onnxruntime-web from npm, cached after the first run)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed (scripts/setup-browser.sh installs it): export-web vendors "
                    "onnxruntime-web with it")
    out = tmp_path_factory.mktemp("web") / "site"
    export_web("default", out, webgpu=True)
    return out


@pytest.fixture(scope="session")
def site(web_out, samples):
    """The export served cross-origin isolated, with test images beside it; yields its URL."""
    images = web_out / "test-images"
    images.mkdir(exist_ok=True)
    for name in ("synth-000000.png", "synth-000007.png"):
        shutil.copy(samples / name, images / name)
    # Not square and not 512: exercises the resizes both ways.
    Image.open(samples / "synth-000007.png").convert("RGB").crop((40, 60, 340, 260)).save(images / "crop-300x200.png")
    with serve(web_out) as url:
        yield url
