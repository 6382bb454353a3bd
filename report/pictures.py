"""The report's pictures: small JPEG thumbnails, detail images and masks, either embedded
as data URIs or written beside the report and referenced by relative path."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

from urllib.parse import quote

from PIL import Image

from artifactsdk.errors import ImageDecodeError
from artifactsdk.image_io import load_image

THUMB_SIDE = 192  # longest side of a grid thumbnail
DETAIL_SIDE = 768  # longest side of an embedded detail image or mask


def _encoded(image: Image.Image, side: int, fmt: str) -> bytes:
    image.thumbnail((side, side), Image.BILINEAR)
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=80)
    else:
        image.save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


def data_uri(data: bytes, fmt: str) -> str:
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(data).decode("ascii")


def read_picture(path: Path | None) -> Image.Image | None:
    """The RGB picture at `path` as the runtime decodes it, or None when it cannot be read."""
    if path is None:
        return None
    try:
        return Image.fromarray(load_image(path, max_side=2 * DETAIL_SIDE).pixels)
    except (ImageDecodeError, OSError):
        return None


def thumbnail(picture: Image.Image) -> bytes:
    return _encoded(picture.copy(), THUMB_SIDE, "JPEG")


def detail(picture: Image.Image) -> bytes:
    return _encoded(picture.copy(), DETAIL_SIDE, "JPEG")


def mask_png(path: Path | None) -> bytes | None:
    if path is None or not path.is_file():
        return None
    try:
        with Image.open(path) as mask:
            return _encoded(mask.convert("L"), DETAIL_SIDE, "PNG")
    except OSError:
        return None


def relative_link(target: Path, report_dir: Path) -> str:
    """`target` as a URL relative to the report's folder."""
    return quote(Path(os.path.relpath(target.resolve(), report_dir.resolve())).as_posix())
