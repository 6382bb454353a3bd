import pytest

from fixing_scenes import blob_mask, corrupt, smooth_scene


@pytest.fixture
def scene():
    clean = smooth_scene()
    mask = blob_mask(256, [(70, 80), (180, 170)], 14)
    return clean, mask, corrupt(clean, mask)
