"""The scan's pipeline on items whose bytes cannot be read (a missing file, a Ray input gone)."""

import pytest

pytest.importorskip("pyarrow")

from artifactsdk.detector import Detector  # noqa: E402
from artifactsdk.scan.pipeline import Item, Scanner  # noqa: E402


def _gone() -> bytes:
    raise FileNotFoundError("[Errno 2] No such file or directory: 'gone.png'")


@pytest.fixture(scope="module")
def detector(tiny_bundle):
    with Detector.load(bundle=tiny_bundle, threads=1) as loaded:
        yield loaded


def test_an_unreadable_item_is_an_error_row_once_and_skipped_on_resume(detector):
    with Scanner(detector, workers=1, batch_size=1) as scanner:
        rows = list(scanner.rows([Item("gone.png", _gone)]))
    assert len(rows) == 1 and rows[0]["error_type"] == "FileNotFoundError" and rows[0]["content_hash"] is None
    with Scanner(detector, workers=1, batch_size=1, skip={("gone.png", None)}) as resumed:
        assert list(resumed.rows([Item("gone.png", _gone)])) == [] and resumed.skipped == 1
