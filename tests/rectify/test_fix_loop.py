import numpy as np
import pytest

from artifactsdk.errors import InvalidInputError
from artifactsdk.rectify.fix import fix_image, undo_unimproved_windows
from artifactsdk.rectify.inpainters.base import Inpainter
from artifactsdk.rectify.zoom_in import RepairPass, WindowRepair

from fixing_scenes import OracleDetector


def test_fix_image_repairs_and_records_before_and_after(scene):
    clean, mask, damaged = scene
    detector = OracleDetector(clean)
    result = fix_image(detector, damaged, inpainter="builtin", rounds=1, device="cpu")
    record = result.record
    assert record.area_before == pytest.approx(mask.mean(), rel=0.05)
    assert record.area_after < 0.05 * record.area_before
    assert record.area_reduction > 0.95
    assert len(record.rounds) == 1 and record.rounds[0].kept
    assert result.image.shape == damaged.shape and result.image.dtype == np.uint8
    assert result.to_dict()["rounds"][0]["repair"]["regions"] == 2
    assert detector.calls == 2


def test_rounds_stop_when_nothing_is_left(scene):
    clean, _, damaged = scene
    record = fix_image(OracleDetector(clean), damaged, inpainter="builtin", rounds=5, device="cpu").record
    assert record.stopped in ("clean", "no-progress")
    assert len(record.rounds) < 5


def test_a_given_detection_is_used_and_a_clean_image_is_left_alone(scene):
    clean, _, _ = scene
    detector = OracleDetector(clean)
    result = fix_image(detector, clean, detection=detector.detect(clean), rounds=3, device="cpu")
    np.testing.assert_array_equal(result.image, clean)
    assert result.record.stopped == "clean" and result.record.rounds == ()
    assert detector.calls == 1


def test_rounds_must_be_positive(scene):
    clean, _, damaged = scene
    with pytest.raises(InvalidInputError, match="rounds"):
        fix_image(OracleDetector(clean), damaged, rounds=0)


class _SpreadingPainter(Inpainter):
    """Fills every hole with solid magenta: the oracle then sees more artifact than before
    (the grown hole as well as the region)."""

    name = "spreading"

    def _inpaint(self, image, mask, device):
        return np.broadcast_to(np.array([255, 0, 255], np.uint8), image.shape)


def test_windows_the_detector_judges_worse_are_put_back(scene):
    clean, _, damaged = scene
    detector = OracleDetector(clean)
    result = fix_image(detector, damaged, inpainter=_SpreadingPainter(), rounds=1, device="cpu")
    windows = result.record.rounds[0].repair.windows
    assert windows and not any(window.kept for window in windows)
    np.testing.assert_array_equal(result.image, damaged)
    assert result.record.area_after == result.record.area_before


def test_undo_keeps_improved_windows_and_restores_the_others():
    original = np.zeros((20, 40, 3), np.uint8)
    repaired = np.full_like(original, 9)
    before = np.zeros((20, 40), bool)
    before[5:10, 5:10] = before[5:10, 25:30] = True
    after = np.zeros_like(before)
    after[0:12, 22:34] = True  # the right window got worse, the left one is clean now
    windows = (WindowRepair((0, 0, 20, 20), (20, 20), 25, 0.0), WindowRepair((20, 0, 40, 20), (20, 20), 25, 0.0))
    record = undo_unimproved_windows(original, before, repaired, after, RepairPass("x", 2, windows, 0.1, 0.0))
    assert [w.kept for w in record.windows] == [True, False]
    assert (repaired[:, :20] == 9).all() and (repaired[:, 20:] == 0).all()
