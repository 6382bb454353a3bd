import numpy as np

from artifactsdk.rectify.masks import components, dilate_component, feather, paint
from artifactsdk.rectify.windows import context_window, merge, overlap


def test_context_window_is_a_centred_square_of_the_box():
    assert context_window((100, 100, 120, 110), (512, 512), context=3.0, min_side=16) == (80, 75, 140, 135)


def test_context_window_is_shifted_inside_and_cut_to_the_image():
    assert context_window((0, 0, 10, 10), (512, 512), context=4.0, min_side=8) == (0, 0, 40, 40)
    assert context_window((490, 500, 512, 512), (512, 512), context=4.0, min_side=8) == (424, 424, 512, 512)
    assert context_window((0, 0, 300, 50), (200, 400), context=2.0, min_side=8) == (0, 0, 400, 200)


def test_merge_joins_chains_of_overlapping_windows_and_keeps_separate_ones():
    windows = [(0, 0, 10, 10), (8, 8, 20, 20), (18, 0, 30, 9), (50, 50, 60, 60)]
    merged = merge(windows)
    assert merged == [(0, 0, 30, 20), (50, 50, 60, 60)]
    assert not any(overlap(a, b) for i, a in enumerate(merged) for b in merged[i + 1:])


def test_components_dilation_and_paint():
    mask = np.zeros((64, 64), bool)
    mask[10:14, 10:14] = True
    mask[40:50, 30:35] = True
    mask[60, 60] = True                       # a speck below min_pixels
    found = components(mask, min_pixels=4)
    assert sorted(c.box for c in found) == [(10, 10, 14, 14), (30, 40, 35, 50)]
    grown = [dilate_component(c, 3, mask.shape) for c in found]
    assert grown[0].box == (7, 7, 17, 17)
    painted = paint(grown, mask.shape)
    assert painted[mask & ~(np.arange(64)[None, :] == 60)].all()
    assert painted.sum() > mask.sum() + 100 and not painted[0, 0]


def test_feather_is_one_on_the_hole_and_falls_to_zero_outside():
    hole = np.zeros((40, 40), bool)
    hole[15:25, 15:25] = True
    alpha = feather(hole, 4)
    assert (alpha[hole] == 1).all()
    assert 0 < alpha[20, 26] < 1 and alpha[20, 35] == 0
    assert alpha[20, 26] > alpha[20, 28]
