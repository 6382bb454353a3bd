import os
import sys
from pathlib import Path

import pytest

# Tests must never reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# The tiny-bundle builder lives with the runtime tests; the SDK, reward, feedback and server tests use it too.
sys.path.insert(0, str(Path(__file__).resolve().parent / "runtime"))

from tiny_bundle import build_tiny_bundle  # noqa: E402


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
