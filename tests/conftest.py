import os
from pathlib import Path

import pytest

# Tests must never reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# The tiny-bundle builder lives with the runtimes' tests (pyproject's pytest `pythonpath`);
# the SDK, reward, feedback and server tests use it too.
from tiny_bundle import build_tiny_bundle


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory):
    """A segmenter + classifier bundle with fp32 and int8 ONNX files (read-only: copy to change it)."""
    return build_tiny_bundle(tmp_path_factory.mktemp("tiny_bundle"))


@pytest.fixture(scope="session")
def detector(tiny_bundle):
    """A Detector on the tiny bundle (it finds pure red), shared by the session."""
    from artifactsdk import Detector

    with Detector.load(tiny_bundle) as loaded:
        yield loaded


@pytest.fixture(scope="session")
def samples():
    """The folder of sample images shipped in the package (read-only)."""
    from importlib import resources

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


@pytest.fixture(scope="session")
def reference_bundle(tmp_path_factory):
    """The shipped weights as fp32 ONNX and torch checkpoints, through artifactsdk export (the
    shipped bundle keeps int8 only); built once per session, about a minute."""
    pytest.importorskip("torch")
    from click.testing import CliRunner

    from artifactsdk.cli.export import export

    out = tmp_path_factory.mktemp("reference") / "bundle"
    result = CliRunner().invoke(export, ["all", "--out", str(out), "--precision", "fp32", "--bundle-files",
                                         "fp32,torch", "--eval-synth", "8", "--no-validate", "--quiet"])
    assert result.exit_code == 0, result.output
    return out
