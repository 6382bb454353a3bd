"""The overlay's captions: inside the image whatever the region's place, and the share as the caption says it."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from artifactsdk.detection import Region
from artifactsdk.postprocess import caption
from artifactsdk.render import CAPTION_PAD, caption_layout, caption_text, overlay

WHITE = (255, 255, 255)


def region(box, size, fraction=0.004, name="Luminance discrepancy") -> Region:
    return Region(box=box, area_fraction=fraction, mean_score=0.9, label="luminance_discrepancy", label_name=name,
                  caption=caption(name, box, size, fraction))


def ink(image: Image.Image) -> int:
    """The text's ink: white text is the only green here (black image, magenta boxes)."""
    return int(np.asarray(image)[..., 1].astype(np.int64).sum())


@pytest.mark.parametrize("size, box, name", [
    ((384, 384), (340, 200, 384, 240), "Luminance discrepancy"),  # at the right edge: was cut to "Luminance Di"
    ((384, 384), (0, 0, 384, 384), "Luminance discrepancy"),  # the whole image: no room above or below
    ((120, 90), (100, 70, 120, 90), "Luminance discrepancy"),  # small image, lower right corner
    ((60, 200), (10, 150, 50, 200), "Abnormal human anatomy and distorted body parts"),  # narrower than one line
], ids=["right-edge", "whole-image", "small-corner", "narrow"])
def test_every_caption_pixel_is_inside_the_image(size, box, name):
    found = region(box, size, name=name)
    drawn = overlay(np.zeros((size[1], size[0], 3), np.uint8), np.zeros((size[1], size[0]), bool), [found])
    font, lines, (left, top, right, bottom) = caption_layout(caption_text(found), box, size, max(10, min(size) // 40))
    assert 0 <= left < right <= size[0] and 0 <= top < bottom <= size[1]
    assert "".join(lines).replace(" ", "") == caption_text(found).replace(" ", "")  # every character, wrapped at most
    # The same lines on a canvas with room to spare: the overlay must show all of their ink.
    roomy = Image.new("RGB", (4 * size[0] + 400, 4 * size[1] + 400), (255, 0, 255))
    line_height = sum(font.getmetrics())
    for n, text in enumerate(lines):
        position = (200 + CAPTION_PAD, 200 + CAPTION_PAD + n * line_height)
        ImageDraw.Draw(roomy).text(position, text, fill=WHITE, font=font)
    assert ink(drawn) == ink(roomy) > 0


def test_the_overlay_says_the_share_as_the_caption_does():
    small, large = region((0, 0, 4, 4), (100, 100), 0.004), region((0, 0, 60, 60), (100, 100), 0.365)
    assert caption_text(small) == "Luminance discrepancy < 1 %" and "(< 1 % of the image)" in small.caption
    assert caption_text(large) == "Luminance discrepancy 36 %" and "(36 % of the image)" in large.caption
