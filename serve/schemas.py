"""The server's answers as pydantic models, so /openapi.json documents every field and
every status a client can get."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Region(BaseModel):
    box: list[int] = Field(min_length=4, max_length=4, description="x0, y0, x1, y1 in image pixels; x1, y1 exclusive")
    area_fraction: float = Field(description="Share of the image's pixels over the pixel threshold in this region")
    mean_score: float = Field(description="Mean artifact probability inside the region")
    label: str | None = Field(description="The most likely class key; null without a classifier")
    label_name: str | None
    caption: str = Field(description="e.g. 'Localized blur in the upper left (4 % of the image)'")


class Detection(BaseModel):
    """Detection.to_dict() of the Python API."""

    source: str | None = Field(description="The uploaded file's name (multipart), else null")
    size: list[int] = Field(min_length=2, max_length=2, description="(width, height) the detection is reported in")
    original_size: list[int] = Field(min_length=2, max_length=2, description="(width, height) of the upload")
    artifact_score: float = Field(description="Image-level artifact score in [0, 1]; 0.5 = at the tuned thresholds")
    is_artifact: bool
    labels: list[str] = Field(description="Class keys over their thresholds, best first")
    scores: dict[str, float] = Field(description="Probability per class key")
    segmented: bool
    pixel_threshold: float
    regions: list[Region] = Field(description="Largest first; empty on a clean image")
    timings_ms: dict[str, float] | None = Field(None, description="Per-stage milliseconds (?timings=true)")


class ImageError(BaseModel):
    index: int = Field(description="Position of the image in the request")
    error: str
    error_type: str = Field(description="The SDK's error class, e.g. ImageDecodeError")


class Rewards(BaseModel):
    """One entry per uploaded image, in order; an image that could not be read has null in
    every list and an entry in `errors` (it is never reported as clean)."""

    reduce: str
    rewards: list[float | None] = Field(description="Higher = fewer artifacts")
    artifact_score: list[float | None]
    area: list[float | None] = Field(description="Share of the image marked as artifact")
    is_artifact: list[bool | None]
    labels: list[list[str] | None]
    errors: list[ImageError]


class Limits(BaseModel):
    max_bytes: int
    max_batch: int
    max_pixels: int
    pixel_budget: int


class Health(BaseModel):
    status: str
    version: str
    models: dict[str, dict]
    reductions: list[str]
    default_reduce: str
    limits: Limits


class Problem(BaseModel):
    detail: str | dict = Field(description="What was wrong; for 422 on /v1/reward, the message and the errors")


def problems(*statuses: int) -> dict:
    """The `responses` of a route: each error status with its meaning and the Problem body."""
    return {status: {"model": Problem, "description": MEANINGS[status]} for status in statuses}


MEANINGS = {
    400: "No image in the request, or more files than allowed",
    413: "The body is over --max-mb",
    415: "Another content type than multipart/form-data or an image body",
    422: "No image could be read (or an unknown reduce)",
    503: "The server's pixel budget is taken by other requests; retry after the Retry-After seconds",
}
