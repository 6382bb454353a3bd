"""Any image the user hands in -> an HxWx3 uint8 RGB array of bounded size.

Accepted: a path, encoded bytes, a PIL image, or a numpy array (HxWx3 uint8 RGB; uint16
and float in [0, 1] are converted). EXIF orientation is applied; grayscale, RGBA,
palette, 16-bit and CMYK become RGB; the pixel count is checked before decoding
(decompression bombs); very large images are reduced while decoding (JPEG draft mode,
then `reduce`), so memory stays bounded; tiny images are upscaled.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from artifactsdk.errors import ImageDecodeError, InvalidInputError
from artifactsdk.limits import positive_int

# Files a folder contributes (detect, fix, dataset readers, calibration): what Pillow decodes here.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")
DEFAULT_MAX_SIDE = 4096  # longer side after decoding; larger images are reduced
MIN_SIDE = 32  # shorter side below this is upscaled so masks and overlays stay legible
UINT16_TOP = 65535
_WHITE = (255, 255, 255)
_ORIENTATION = 0x0112  # the EXIF tag
# What Pillow raises on malformed data: OSError for most, ValueError e.g. when a zTXt or iCCP
# chunk inflates past its limit, struct.error for a cut header, SyntaxError, EOFError.
DECODER_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)


@dataclass(frozen=True)
class DecodedImage:
    pixels: np.ndarray  # HxWx3 uint8 RGB, the resolution the detection is reported in
    original_size: tuple[int, int]  # (width, height) of the input, after EXIF rotation
    source: str | None = None  # the path, when there was one
    full_size: tuple[int, int] | None = None  # set when decoded below it (load_image's reduce_to)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) the detection is reported in: the full decode's, also when the
        pixels were decoded smaller for the models."""
        return self.full_size or (self.pixels.shape[1], self.pixels.shape[0])


def default_max_pixels() -> int:
    """Pillow's own decompression-bomb limit (Image.MAX_IMAGE_PIXELS), read at call time."""
    return int(Image.MAX_IMAGE_PIXELS or 0) or 1 << 31


def load_image(source, *, max_pixels: int | None = None, max_side: int = DEFAULT_MAX_SIDE,
               name: str | None = None, reduce_to: int | None = None) -> DecodedImage:
    """Decode `source` into a bounded RGB array; raise ImageDecodeError / InvalidInputError.
    `name` (e.g. the path the bytes were read from) names encoded bytes in errors and in
    the result's `source`. `reduce_to` (a side length, e.g. the model's input): files at
    least 4x as large on both sides are decoded smaller, down to 2x it (JPEG draft, else
    `reduce`); the result keeps the full decode's `size`."""
    limit = default_max_pixels() if max_pixels is None else positive_int("max_pixels", max_pixels)
    max_side = positive_int("max_side", max_side, MIN_SIDE)
    if isinstance(source, DecodedImage):
        return source
    if isinstance(source, np.ndarray):
        pixels = array_to_rgb(source)
        return _bounded(pixels, (pixels.shape[1], pixels.shape[0]), max_side)
    if isinstance(source, Image.Image):
        return _from_pil(source, limit, max_side, name="the PIL image")
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _open_and_decode(io.BytesIO(bytes(source)), name or "the image bytes", limit, max_side, name,
                                reduce_to)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            raise ImageDecodeError(f"{path}: is a folder, not an image file (for a folder's images, pass "
                                   "their paths to detect_batch, or run: artifactsdk detect FOLDER).")
        if not path.is_file():
            raise ImageDecodeError(f"{path}: no such file (expected an image file).")
        if path.stat().st_size == 0:
            raise ImageDecodeError(f"{path}: the file is empty (0 bytes), not an image.")
        return _open_and_decode(path, str(path), limit, max_side, str(path), reduce_to)
    raise InvalidInputError(f"cannot read an image from a {type(source).__name__}; expected a path, bytes, "
                            "a PIL.Image or an HxWx3 uint8 RGB numpy array.")


def _open_and_decode(fp, name: str, limit: int, max_side: int, source: str | None,
                     reduce_to: int | None = None) -> DecodedImage:
    with _open(fp, name) as image:
        return _from_pil(image, limit, max_side, name, source, owned=True, reduce_to=reduce_to)


def _open(fp, name: str) -> Image.Image:
    """Image.open (it reads the header and the chunks before the pixels, not the pixels)
    with every decoder error as an ImageDecodeError."""
    try:
        return Image.open(fp)
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError(f"{name}: refused as a possible decompression bomb ({exc}). Raise "
                               "PIL.Image.MAX_IMAGE_PIXELS and max_pixels if the image is trusted.") from exc
    except UnidentifiedImageError as exc:
        raise ImageDecodeError(f"{name}: not an image format Pillow can read (starts with "
                               f"{_head(fp)!r}).") from exc
    except DECODER_ERRORS as exc:
        raise ImageDecodeError(f"{name}: cannot be opened as an image: {exc}") from exc


def declared_size(data: bytes, name: str = "the image bytes") -> tuple[int, int]:
    """(width, height) that encoded image bytes declare in their header, read without decoding
    the pixels (what a server checks before it lets the decoding start)."""
    with _open(io.BytesIO(data), name) as image:
        return image.size


def _from_pil(image: Image.Image, limit: int, max_side: int, name: str, source: str | None = None,
              owned: bool = False, reduce_to: int | None = None) -> DecodedImage:
    """`owned`: the image was opened here, so it may be decoded in draft (reduced) mode."""
    width, height = image.size
    if width * height > limit:
        raise ImageDecodeError(f"{name}: {width}x{height} = {width * height:,} pixels exceeds the limit of "
                               f"{limit:,} (a guard against decompression bombs); pass a larger max_pixels "
                               "if the image is trusted.")
    try:
        # Decode at reduced size when the format allows (JPEG draft: 1/2, 1/4, 1/8 scale).
        # down to twice reduce_to: the last halving is left to the models' antialiased resize,
        # which keeps scores close to a full decode's (a DCT or box reduction all the way moves them)
        floor = 2 * reduce_to if reduce_to else None
        reduced = bool(owned and floor and min(width, height) >= 2 * floor and image.format == "JPEG")
        if reduced:
            image.draft("RGB", (floor, floor))  # the smallest DCT scale still covering it
        elif owned and max(width, height) > max_side and image.format == "JPEG":
            image.draft("RGB", _fit((width, height), max_side))
        image.load()
        orientation = image.getexif().get(_ORIENTATION, 1)
        turned = orientation in (5, 6, 7, 8)
        # exif_transpose copies even an upright image: a whole decoded image more held at once
        upright = image if orientation == 1 else ImageOps.exif_transpose(image)
        if floor and min(upright.size) // floor >= 2:
            upright, reduced = upright.reduce(min(upright.size) // floor), True
        rgb = pil_to_rgb(upright, name)
    except DECODER_ERRORS as exc:
        raise ImageDecodeError(f"{name}: the image data is corrupt or truncated: {exc}") from exc
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError(f"{name}: refused as a possible decompression bomb ({exc}).") from exc
    original = (height, width) if turned else (width, height)
    decoded = _bounded(rgb, original, max_side, source)
    return replace(decoded, full_size=_bounded_size(original, max_side)) if reduced else decoded


def pil_to_rgb(image: Image.Image, name: str = "the image") -> np.ndarray:
    """Any PIL mode -> HxWx3 uint8 RGB (alpha composited on white, 16-bit scaled, CMYK converted)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return array_to_rgb(_high_depth_to_uint8(np.asarray(image), name))
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.uint8)


def _high_depth_to_uint8(values: np.ndarray, name: str) -> np.ndarray:
    """16-bit (and Pillow's 32-bit "I", which holds 16-bit files) by the 16-bit range, as arrays."""
    if values.dtype.kind == "f":
        return _float_to_uint8(values, f"{name} (float pixels)")
    return _scale_16bit(np.clip(values, 0, UINT16_TOP))


def _scale_16bit(values: np.ndarray) -> np.ndarray:
    """0..65535 -> 0..255 by the declared range (not by the values seen): the high byte, which
    gives back v for both ways of widening 8-bit data (v << 8 and v * 257)."""
    return (values.astype(np.uint32) >> 8).astype(np.uint8)


def array_to_rgb(array: np.ndarray) -> np.ndarray:
    """Check and convert a numpy image to HxWx3 uint8 RGB (HxW grayscale is accepted)."""
    if array.ndim == 2:
        array = array[..., None].repeat(3, axis=2)
    if array.ndim != 3 or array.shape[2] != 3:
        hint = "; drop alpha with array[..., :3]" if array.ndim == 3 and array.shape[2] == 4 else ""
        raise InvalidInputError(f"expected an HxWx3 RGB array, found shape {array.shape}{hint}.")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InvalidInputError(f"expected a non-empty image, found shape {array.shape}.")
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if array.dtype == np.uint16:
        return _scale_16bit(array)
    if array.dtype.kind == "f":
        return _float_to_uint8(array, "the array")
    raise InvalidInputError(f"expected dtype uint8 (or uint16, or float in [0, 1]), found {array.dtype}.")


def _float_to_uint8(array: np.ndarray, name: str) -> np.ndarray:
    finite = np.isfinite(array)
    if not finite.all():
        raise InvalidInputError(f"{name} holds {int((~finite).sum())} NaN or infinite values; "
                                "expected finite values in [0, 1].")
    low, high = float(array.min()), float(array.max())
    if low < 0 or high > 1:
        raise InvalidInputError(f"{name} is float with values in [{low:g}, {high:g}]; expected [0, 1] "
                                "(or pass uint8 0-255).")
    return (array.astype(np.float32) * 255.0 + 0.5).astype(np.uint8)


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    scale = max_side / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _bounded(pixels: np.ndarray, original_size: tuple[int, int], max_side: int,
             source: str | None = None) -> DecodedImage:
    """Reduce images whose longer side exceeds max_side; upscale ones shorter than MIN_SIDE
    (as far as max_side allows)."""
    height, width = pixels.shape[:2]
    if max(width, height) > max_side:
        image = Image.fromarray(pixels)
        factor = max(width, height) // max_side
        if factor >= 2:  # box-filter reduce first: cheap, and bounds the working set
            image = image.reduce(factor)
        pixels = np.asarray(image.resize(_fit(image.size, max_side), Image.BILINEAR))
    elif min(width, height) < MIN_SIDE:
        # Up to MIN_SIDE, but never past max_side: a 1x100000 strip must not become 32x3200000.
        scale = min(MIN_SIDE / min(width, height), max_side / max(width, height))
        if scale > 1:
            target = (min(max_side, max(1, round(width * scale))), min(max_side, max(1, round(height * scale))))
            pixels = np.asarray(Image.fromarray(pixels).resize(target, Image.BICUBIC))
    return DecodedImage(np.ascontiguousarray(pixels), original_size, source)


def _head(fp) -> bytes:
    if isinstance(fp, io.BytesIO):
        return fp.getvalue()[:16]
    with open(fp, "rb") as fh:
        return fh.read(16)


def _bounded_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """(width, height) of a full decode of a large `size` image after `_bounded`."""
    return _fit(size, max_side) if max(size) > max_side else size
