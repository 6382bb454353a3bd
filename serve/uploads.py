"""The images of a request: the files of a multipart form, or the raw body as one image.
Only bytes are read here; decoding is the Detector's (no pickle, nothing executable)."""

from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile

RAW_TYPES = ("image/", "application/octet-stream")


async def read_images(request: Request, max_images: int) -> list[bytes]:
    """Each uploaded file's bytes, in order. 400 without an image, 415 for another body type."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        # starlette answers more than max_files files with 400; fields (prompts ...) are ignored.
        form = await request.form(max_files=max_images, max_fields=max_images + 16)
        try:
            images = [await value.read() for _, value in form.multi_items() if isinstance(value, UploadFile)]
        finally:
            await form.close()
    elif content_type.startswith(RAW_TYPES):
        images = [await request.body()]
    else:
        raise HTTPException(415, f"unsupported content type {content_type or '(none)'!r}; send the image as "
                                 "multipart/form-data files, or one image as the raw body (image/png, "
                                 "image/jpeg, application/octet-stream)")
    if not images or not any(images):
        raise HTTPException(400, "the request holds no image (empty body, or a form without files)")
    return images


def binary_body(multipart_field: str, many: bool) -> dict:
    """The OpenAPI description of a body read by read_images (FastAPI cannot infer it)."""
    binary = {"type": "string", "format": "binary"}
    field = {"type": "array", "items": binary} if many else binary
    raw = {"schema": binary}
    return {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": {multipart_field: field},
                                           "required": [multipart_field]}},
        "image/png": raw, "image/jpeg": raw, "application/octet-stream": raw}}}
