import shutil
from pathlib import Path

import pytest
from PIL import Image

from artifactsdk.web.browser import serve
from artifactsdk.web.export import export_web


def _needs_npm():
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed (scripts/setup-browser.sh installs it): export-web vendors "
                    "onnxruntime-web with it")


def _add_test_images(site: Path, samples: Path) -> None:
    images = site / "test-images"
    images.mkdir(exist_ok=True)
    for name in ("synth-000000.png", "synth-000007.png", "agiqa-midjourney_lowstep_206.jpg"):
        shutil.copy(samples / name, images / name)
    # Not square and not 512: exercises the resizes both ways.
    Image.open(samples / "synth-000007.png").convert("RGB").crop((40, 60, 340, 260)).save(images / "crop-300x200.png")


@pytest.fixture(scope="session")
def web_out(tmp_path_factory, samples) -> Path:
    """`export-web` of the default bundle (int8 only, so no WebGPU build; onnxruntime-web
    from npm, cached after the first run), with test images beside it."""
    _needs_npm()
    out = tmp_path_factory.mktemp("web") / "site"
    export_web("default", out)
    _add_test_images(out, samples)
    return out


@pytest.fixture(scope="session")
def full_web_out(tmp_path_factory, samples, reference_bundle) -> Path:
    """`export-web` of the shipped weights' fp32 bundle: fp32 for WASM, fp16 for WebGPU."""
    _needs_npm()
    out = tmp_path_factory.mktemp("web-full") / "site"
    export_web(reference_bundle, out, wasm_precision="fp32", webgpu=True)
    _add_test_images(out, samples)
    return out


@pytest.fixture(scope="session")
def site(web_out):
    """The default export served cross-origin isolated; yields its URL."""
    with serve(web_out) as url:
        yield url


@pytest.fixture(scope="session")
def full_site(full_web_out):
    """The fp32 / fp16 export served cross-origin isolated; yields its URL."""
    with serve(full_web_out) as url:
        yield url
