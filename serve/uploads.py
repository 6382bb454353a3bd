"""The images of a request: the files of a multipart form, or the raw body as one image.
Only bytes (and each image's header) are read here; decoding is the Detector's (no pickle,
nothing executable).

The endpoints take the form through `request.form()` (whose files are FastAPI / Starlette
`UploadFile`s) rather than `File()` parameters: those would accept multipart only (not the
raw body) and parse forms with no limit on the number of files."""

from __future__ import annotations

from typing import NamedTuple

from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile

from artifactsdk.errors import ImageDecodeError
from artifactsdk.image_io import declared_size

RAW_TYPES = ("image/", "application/octet-stream")


class Upload(NamedTuple):
    name: str | None  # the file name of a multipart upload
    data: bytes


async def read_images(request: Request, max_images: int) -> list[Upload]:
    """Each uploaded file, in order. 400 without an image, 415 for another body type."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        # starlette answers more than max_files files with 400; fields (prompts ...) are ignored.
        form = await request.form(max_files=max_images, max_fields=max_images + 16)
        try:
            images = [Upload(value.filename or None, await value.read())
                      for _, value in form.multi_items() if isinstance(value, UploadFile)]
        finally:
            await form.close()
    elif content_type.startswith(RAW_TYPES):
        images = [Upload(None, await request.body())]
    else:
        raise HTTPException(415, f"unsupported content type {content_type or '(none)'!r}; send the image as "
                                 "multipart/form-data files, or one image as the raw body (image/png, "
                                 "image/jpeg, application/octet-stream)")
    if not images or not any(image.data for image in images):
        raise HTTPException(400, "the request holds no image (empty body, or a form without files)")
    return images


def decoded_pixels(upload: Upload, max_pixels: int) -> int:
    """The pixels decoding `upload` will hold, from its header: 0 when the Detector will refuse
    it before decoding (unreadable header, or over `max_pixels`)."""
    try:
        width, height = declared_size(upload.data, upload.name or "the image")
    except ImageDecodeError:
        return 0
    return width * height if width * height <= max_pixels else 0


def binary_body(multipart_field: str, many: bool) -> dict:
    """The OpenAPI description of a body read by read_images (FastAPI cannot infer it)."""
    binary = {"type": "string", "format": "binary"}
    field = {"type": "array", "items": binary} if many else binary
    raw = {"schema": binary}
    return {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": {multipart_field: field},
                                           "required": [multipart_field]}},
        "image/png": raw, "image/jpeg": raw, "application/octet-stream": raw}}}
