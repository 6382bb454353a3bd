import numpy as np
import pytest

from artifactsdk.errors import InvalidInputError
from artifactsdk.rectify.inpainters import get_inpainter
from artifactsdk.rectify.inpainters.telea import TeleaInpainter
from artifactsdk.rectify.masks import feather
from artifactsdk.rectify.zoom_in import ZoomInConfig, repair


def mean_error(a, b, where):
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16))[where].mean())


@pytest.mark.parametrize("name", ["builtin", "diffusion", "telea"])
def test_repair_restores_the_region_and_leaves_the_rest(scene, name):
    clean, mask, damaged = scene
    repaired, record = repair(damaged, mask, get_inpainter(name), "cpu")
    assert mean_error(damaged, clean, mask) > 60
    assert mean_error(repaired, clean, mask) < 8
    assert record.regions == 2 and len(record.windows) == 2
    touched = np.any(repaired != damaged, axis=-1)
    far = feather(np.asarray(np.pad(mask, 0)), ZoomInConfig().max_grow + ZoomInConfig().feather + 2) == 0
    assert not touched[far].any()


def test_probability_masks_are_thresholded(scene):
    clean, mask, damaged = scene
    probabilities = np.where(mask, 0.9, 0.2).astype(np.float32)
    from_probabilities, _ = repair(damaged, probabilities, TeleaInpainter(), "cpu")
    from_bool, _ = repair(damaged, mask, TeleaInpainter(), "cpu")
    np.testing.assert_array_equal(from_probabilities, from_bool)


def test_an_empty_mask_changes_nothing(scene):
    _, mask, damaged = scene
    repaired, record = repair(damaged, np.zeros_like(mask), TeleaInpainter(), "cpu")
    np.testing.assert_array_equal(repaired, damaged)
    assert record.windows == () and record.hole_fraction == 0


def test_close_regions_share_one_window(scene):
    clean, _, _ = scene
    mask = np.zeros(clean.shape[:2], bool)
    mask[100:110, 100:110] = True
    mask[100:110, 125:135] = True
    _, record = repair(clean, mask, TeleaInpainter(), "cpu")
    assert record.regions == 2 and len(record.windows) == 1


class ZoomingTelea(TeleaInpainter):
    """Telea at a fixed working size, upscaling small windows (as the diffusers adapter does)."""
    working_size = 160
    upscale = True

    def __init__(self):
        super().__init__()
        self.seen = []

    def _inpaint(self, image, mask, device):
        self.seen.append(image.shape[:2])
        return super()._inpaint(image, mask, device)


def test_small_windows_are_zoomed_in_to_the_working_size(scene):
    clean, mask, damaged = scene
    painter = ZoomingTelea()
    repaired, record = repair(damaged, mask, painter, "cpu")
    assert painter.seen == [(160, 160), (160, 160)]
    assert all(w.working_shape == (160, 160) for w in record.windows)
    assert all(w.window[2] - w.window[0] < 160 for w in record.windows)
    assert mean_error(repaired, clean, mask) < 10


def test_bad_inputs_are_refused_with_clear_errors(scene):
    clean, mask, _ = scene
    with pytest.raises(InvalidInputError, match="height and width"):
        repair(clean, mask[:100], TeleaInpainter(), "cpu")
    with pytest.raises(InvalidInputError, match="uint8"):
        repair(clean.astype(np.float32), mask, TeleaInpainter(), "cpu")
    with pytest.raises(InvalidInputError, match="unknown inpainter"):
        get_inpainter("photoshop")
    with pytest.raises(InvalidInputError, match="context"):
        ZoomInConfig(context=0.5)
