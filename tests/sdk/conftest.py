import sys
from pathlib import Path

import pytest

# The tiny-bundle builder lives with the runtime tests; the SDK tests use it too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))

from tiny_bundle import tiny_bundle  # noqa: E402, F401 (the shared fixture)


@pytest.fixture(scope="session")
def detector(tiny_bundle):
    from artifactsdk import Detector

    with Detector.load(tiny_bundle) as loaded:
        yield loaded
