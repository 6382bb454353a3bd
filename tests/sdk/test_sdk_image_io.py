import io

import numpy as np
import pytest
from PIL import Image

from artifactsdk.errors import ImageDecodeError, InvalidInputError
from artifactsdk.image_io import MIN_SIDE, load_image
from bad_images import inflating_chunk_pngs


def _png_bytes(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=params.pop("format", "PNG"), **params)
    return buffer.getvalue()


def _halves(width=80, height=40) -> np.ndarray:
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = (255, 0, 0)
    pixels[:, width // 2:] = (0, 0, 255)
    return pixels


def test_exif_orientation_is_applied():
    pixels = _halves()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    decoded = load_image(_png_bytes(Image.fromarray(pixels), exif=exif.tobytes()))
    assert decoded.pixels.shape == (80, 40, 3)
    assert decoded.original_size == (40, 80)
    assert np.array_equal(decoded.pixels, np.rot90(pixels, k=-1))  # red ends up on top


@pytest.mark.parametrize("mode", ["L", "1", "P", "LA", "RGBA", "CMYK", "I;16", "I", "F", "YCbCr"])
def test_every_mode_becomes_rgb_uint8(mode):
    fmt = "JPEG" if mode in ("CMYK", "YCbCr") else ("TIFF" if mode in ("I", "F") else "PNG")
    source = Image.fromarray(_halves()).convert("RGB")
    if mode in ("I;16", "I", "F"):
        gray = np.linspace(0, 1, 40 * 40).reshape(40, 40)
        values = {"I;16": (gray * 65535).astype(np.uint16), "I": (gray * 65535).astype(np.int32),
                  "F": gray.astype(np.float32)}[mode]
        source = Image.fromarray(values)
    else:
        source = source.convert(mode)
    decoded = load_image(_png_bytes(source, format=fmt))
    assert decoded.pixels.dtype == np.uint8 and decoded.pixels.shape[2] == 3
    if mode in ("I;16", "I", "F"):  # high bit depth is scaled, not clipped at 255
        assert decoded.pixels[0, 0, 0] == 0 and decoded.pixels[-1, -1, 0] == 255
        assert 100 < decoded.pixels[20, 20, 0] < 155


def test_transparency_is_composited_on_white():
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent except one corner
    rgba[:10, :10, 3] = 255
    decoded = load_image(Image.fromarray(rgba))
    assert tuple(decoded.pixels[0, 0]) == (255, 0, 0)
    assert tuple(decoded.pixels[-1, -1]) == (255, 255, 255)


def test_pixel_limit_guards_against_decompression_bombs():
    data = _png_bytes(Image.new("RGB", (100, 100)))
    with pytest.raises(ImageDecodeError, match="10,000 pixels exceeds the limit of 5,000"):
        load_image(data, max_pixels=5000)
    assert load_image(data, max_pixels=10_000).size == (100, 100)


def test_pillow_bomb_limit_is_reported_clearly(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow refuses over twice this at open
    with pytest.raises(ImageDecodeError, match="decompression bomb.*MAX_IMAGE_PIXELS"):
        load_image(_png_bytes(Image.new("RGB", (100, 100))), max_pixels=10**9)
    with pytest.raises(ImageDecodeError, match="exceeds the limit of 1,000"):  # the default follows Pillow's
        load_image(_png_bytes(Image.new("RGB", (40, 40))))


def test_large_jpeg_is_reduced_while_decoding_and_small_images_upscaled():
    big = load_image(_png_bytes(Image.new("RGB", (3000, 600), (10, 200, 30)), format="JPEG"), max_side=500)
    assert big.size == (500, 100) and big.original_size == (3000, 600)
    assert abs(int(big.pixels[50, 250, 1]) - 200) < 8
    small = load_image(np.full((4, 8, 3), 7, np.uint8))
    assert small.size == (2 * MIN_SIDE, MIN_SIDE) and small.original_size == (8, 4)


def test_arrays_are_checked_and_converted():
    rgb = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    assert np.array_equal(load_image(rgb).pixels, rgb)
    assert np.array_equal(load_image(rgb.astype(np.float32) / 255).pixels, rgb)
    assert np.array_equal(load_image(rgb.astype(np.uint16) << 8).pixels, rgb)
    with pytest.raises(InvalidInputError, match=r"HxWx3.*\(40, 50, 4\).*drop alpha"):
        load_image(np.zeros((40, 50, 4), np.uint8))
    with pytest.raises(InvalidInputError, match="expected dtype uint8.*int64"):
        load_image(np.zeros((40, 50, 3), np.int64))
    bad = rgb.astype(np.float32) / 255
    bad[3, 3, 1] = np.nan
    with pytest.raises(InvalidInputError, match="1 NaN"):
        load_image(bad)
    with pytest.raises(InvalidInputError, match=r"values in \[2, 2\]; expected \[0, 1\]"):
        load_image(np.full((40, 50, 3), 2.0))
    with pytest.raises(InvalidInputError, match="non-empty"):
        load_image(np.zeros((0, 5, 3), np.uint8))


def test_bad_inputs_raise_clear_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="cannot read an image from a int"):
        load_image(5)
    with pytest.raises(ImageDecodeError, match="starts with b'hello"):
        load_image(b"hello, not an image")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ImageDecodeError, match="empty"):
        load_image(empty)
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(_png_bytes(Image.new("RGB", (200, 200), (1, 2, 3)))[:60])
    with pytest.raises(ImageDecodeError, match="corrupt or truncated"):
        load_image(truncated)
    with pytest.raises(ImageDecodeError, match="no such file"):
        load_image(tmp_path / "missing.jpg")


@pytest.mark.parametrize("kind", ["zTXt", "iCCP"])
def test_a_chunk_that_inflates_past_pillows_limit_is_an_image_decode_error(kind):
    data = inflating_chunk_pngs()[kind]
    assert len(data) < 20_000
    with pytest.raises(ImageDecodeError, match="cannot be opened as an image"):
        load_image(data, name="bomb.png")
