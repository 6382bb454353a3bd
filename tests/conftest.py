import os

# Tests must never reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def samples():
    """The folder of sample images shipped in the package (read-only)."""
    from importlib import resources
    from pathlib import Path

    return Path(str(resources.files("artifactsdk").joinpath("samples")))


@pytest.fixture(scope="session")
def chromium():
    """The system's headless Chromium through Playwright; skipped, with the reason, only
    where it cannot be had (scripts/setup-browser.sh installs it)."""
    from artifactsdk.web.browser import browser_unavailable, launch

    reason = browser_unavailable()
    if reason:
        pytest.skip(f"no headless Chromium: {reason}")
    with launch(webgpu=True) as browser:  # WebGPU on: the web tests try it where an adapter exists
        yield browser
