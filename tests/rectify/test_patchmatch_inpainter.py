import numpy as np
import pytest

pytest.importorskip("torch")

from artifactsdk.rectify.inpainters import get_inpainter  # noqa: E402
from artifactsdk.rectify.inpainters.patchmatch import PatchMatchInpainter  # noqa: E402


def stripes(size: int = 96) -> np.ndarray:
    """Diagonal stripes six pixels wide, in colour: a texture no smooth fill can continue."""
    yy, xx = np.mgrid[0:size, 0:size]
    grey = np.where(((xx + yy) // 6) % 2 == 0, 200, 40).astype(np.uint8)
    return np.stack([grey, grey // 2, 255 - grey], -1)


def square_hole(size: int = 96, start: int = 30, side: int = 30) -> np.ndarray:
    mask = np.zeros((size, size), bool)
    mask[start:start + side, start + 4:start + 4 + side] = True
    return mask


def test_known_pixels_are_unchanged():
    image = stripes(72)[:41]                  # not square, odd height
    painted = PatchMatchInpainter().inpaint(image, square_hole(72, 6, 28)[:41], "cpu")
    assert painted.shape == image.shape and painted.dtype == np.uint8
    known = ~square_hole(72, 6, 28)[:41]
    np.testing.assert_array_equal(painted[known], image[known])


def test_a_hole_in_stripes_is_filled_with_stripes():
    image, mask = stripes(), square_hole()
    painted = PatchMatchInpainter().inpaint(image, mask, "cpu")
    error = np.abs(painted[mask].astype(float) - image[mask]).mean()
    mean_fill = image[~mask].mean(axis=0)
    mean_error = np.abs(mean_fill - image[mask]).mean()
    assert mean_error > 50
    assert error < 0.1 * mean_error


def test_the_same_input_gives_the_same_fill():
    rng = np.random.default_rng(3)
    image = np.clip(stripes(64).astype(int) + rng.integers(-40, 40, (64, 64, 3)), 0, 255).astype(np.uint8)
    mask = square_hole(64, 20, 20)
    first = PatchMatchInpainter().inpaint(image, mask, "cpu")
    second = PatchMatchInpainter().inpaint(image, mask, "cpu")
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first[mask], image[mask])


def test_a_hole_with_no_known_patch_still_gets_a_fill():
    image = stripes(32)
    mask = np.ones((32, 32), bool)
    mask[:, :2] = False                      # too thin a strip for any whole known patch
    painted = PatchMatchInpainter().inpaint(image, mask, "cpu")
    assert painted.shape == image.shape
    np.testing.assert_array_equal(painted[~mask], image[~mask])


def test_it_is_registered_by_name():
    assert isinstance(get_inpainter("patchmatch"), PatchMatchInpainter)
