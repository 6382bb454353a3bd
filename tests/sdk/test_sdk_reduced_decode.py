"""Decoding large files at reduced scale for the models (load_image's reduce_to, the
Detector's reduced_decode): smaller pixels, the full image's size and coordinates."""

import io

import numpy as np
from PIL import Image

from artifactsdk.image_io import load_image


def _encoded(size, fmt):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


def test_large_files_are_decoded_down_to_twice_the_side_and_keep_their_size():
    jpeg = load_image(_encoded((2400, 2100), "JPEG"), reduce_to=512)  # DCT scale 1/2 still covers 1024
    assert jpeg.pixels.shape == (1050, 1200, 3) and jpeg.size == (2400, 2100) == jpeg.original_size
    png = load_image(_encoded((2100, 3100), "PNG"), reduce_to=512)  # reduce(2)
    assert png.pixels.shape == (1550, 1050, 3) and png.size == (2100, 3100)
    assert load_image(_encoded((5000, 4200), "PNG"), reduce_to=512).size == (4096, 3441)  # max_side still bounds


def test_files_under_four_times_the_side_are_decoded_as_usual():
    data = _encoded((2000, 1500), "JPEG")
    reduced, full = load_image(data, reduce_to=512), load_image(data)
    assert reduced.full_size is None and np.array_equal(reduced.pixels, full.pixels)


def test_reduced_detector_reports_full_size_boxes_and_overlays(tiny_bundle, tmp_path):
    from artifactsdk import Detector

    pixels = np.full((2304, 2048, 3), 128, dtype=np.uint8)
    pixels[200:900, 300:1200] = (255, 0, 0)
    path = tmp_path / "big.png"
    Image.fromarray(pixels).save(path)
    with Detector.load(tiny_bundle, reduced_decode=True) as reduced, Detector.load(tiny_bundle) as full:
        assert reduced.decode(path).pixels.shape[0] < 2304
        fast, exact = reduced.detect(path), full.detect(path)
    assert fast.size == exact.size == (2048, 2304)
    assert fast.overlay().size == (2048, 2304) and fast.mask.shape == (2304, 2048)
    assert abs(fast.artifact_score - exact.artifact_score) < 0.05
