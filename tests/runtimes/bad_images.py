"""Hostile image files the SDK and the server tests share."""

import io
import struct
import zlib

from PIL import Image


def _with_chunk(png: bytes, kind: bytes, data: bytes) -> bytes:
    """`png` with one more chunk right after IHDR (so Pillow reads it when it opens the file)."""
    chunk = struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    end_of_ihdr = 8 + 8 + 13 + 4
    return png[:end_of_ihdr] + chunk + png[end_of_ihdr:]


def inflating_chunk_pngs() -> dict[str, bytes]:
    """Small PNGs whose zTXt / iCCP chunk inflates past Pillow's limit (it raises ValueError)."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buffer, format="PNG")
    png = buffer.getvalue()
    flood = zlib.compress(b"\0" * (16 << 20), 9)  # 16 MiB inflated, ~16 KB on disk
    return {"zTXt": _with_chunk(png, b"zTXt", b"comment\0\0" + flood),
            "iCCP": _with_chunk(png, b"iCCP", b"icc\0\0" + flood)}
