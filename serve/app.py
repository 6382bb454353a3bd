"""The HTTP server's app: detection and rewards over HTTP for trainers and services that run
elsewhere (Flow-GRPO's remote-reward pattern), JSON only.

POST /v1/detect   one image -> the Detection's JSON
POST /v1/reward   a batch of images -> rewards + info (nulls for an unreadable image)
GET  /healthz     the models that run, the limits
OpenAPI docs at /docs and /openapi.json (answers typed in artifactsdk.serve.schemas). One
Detector per process is shared by every request; inference runs in the threadpool, so
requests overlap, within the budget of decoded pixels (artifactsdk.serve.budget).
"""

from __future__ import annotations

import logging
import math
from contextlib import asynccontextmanager

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from artifactsdk import __version__
from artifactsdk.detection import DetectionFailure
from artifactsdk.detector import Detector
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.reward import REDUCTIONS, ArtifactReward
from artifactsdk.serve import schemas
from artifactsdk.serve.body_limit import BodyLimit, BodyTooLarge
from artifactsdk.serve.budget import PixelBudget, map_large_blocks, pixel_groups
from artifactsdk.serve.settings import ServerSettings
from artifactsdk.serve.uploads import Upload, binary_body, decoded_pixels, read_images

log = logging.getLogger(__name__)


def create_app(settings: ServerSettings = ServerSettings(), detector: Detector | None = None) -> FastAPI:
    """The app; it loads the Detector when it starts (or shares `detector`, left open at the end)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        shared = detector or load_detector(settings)
        has_classifier = "classifier" in shared.describe()["models"]
        app.state.detector = shared
        app.state.rewards = {reduce: ArtifactReward(detector=shared, reduce=reduce, batch_size=settings.batch_size)
                             for reduce in REDUCTIONS if reduce != "weighted" or has_classifier}
        app.state.budget = PixelBudget(settings.pixel_budget, settings.queue_seconds)
        map_large_blocks()
        try:
            yield
        finally:
            if detector is None:
                shared.close()

    # FastAPIOffline: FastAPI whose /docs and /redoc serve Swagger UI and ReDoc from the
    # fastapi-offline package (FastAPI's own pages load them from a CDN: blank offline).
    app = FastAPIOffline(title="artifactsdk", version=__version__, lifespan=lifespan,
                         description="Find artifacts in generated images and score them as a reward "
                                     "(higher = fewer artifacts).")
    app.add_middleware(BodyLimit, max_bytes=settings.max_bytes)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, exc: BodyTooLarge):
        return JSONResponse({"detail": str(exc)}, status_code=413)

    @app.get("/healthz", response_model=schemas.Health)
    async def healthz(request: Request):
        """The server is up; which models run where, and the request limits."""
        return {"status": "ok", "version": __version__, "models": request.app.state.detector.describe()["models"],
                "reductions": list(request.app.state.rewards), "default_reduce": settings.reduce,
                "limits": {"max_bytes": settings.max_bytes, "max_batch": settings.max_batch,
                           "max_pixels": settings.max_pixels, "pixel_budget": settings.pixel_budget}}

    @app.post("/v1/detect", openapi_extra=binary_body("image", many=False), response_model=schemas.Detection,
              response_model_exclude_unset=True, responses=schemas.problems(400, 413, 415, 422, 503))
    async def detect(request: Request, timings: bool = Query(False, description="Add per-stage milliseconds.")):
        """One image (a multipart file, or the raw body) -> the Detection's JSON. 422 when the
        image cannot be read."""
        (upload,) = await read_images(request, max_images=1)
        (need,) = await run_in_threadpool(needs, [upload], settings.max_pixels)
        async with request.app.state.budget.hold(need):
            return await run_in_threadpool(detect_or_422, request.app.state.detector, upload, timings)

    @app.post("/v1/reward", openapi_extra=binary_body("images", many=True), response_model=schemas.Rewards,
              responses=schemas.problems(400, 413, 415, 422, 503))
    async def reward(request: Request, reduce: str | None = Query(None, description=", ".join(REDUCTIONS))):
        """A batch of images (multipart files, in order) -> one reward each, higher = fewer
        artifacts, with the artifact scores, areas and labels. An image that cannot be read
        gets null in every list and an entry in `errors`; 422 when none can."""
        scorer = pick_reward(request.app.state.rewards, reduce or settings.reduce)
        uploads = await read_images(request, max_images=settings.max_batch)
        pixels = await run_in_threadpool(needs, uploads, settings.max_pixels)
        groups = pixel_groups(pixels, settings.batch_size, settings.max_pixels)
        async with request.app.state.budget.hold(max(sum(pixels[i] for i in group) for group in groups)):
            rewards, info = await run_in_threadpool(score_in_groups, scorer, uploads, groups)
        if len(info["errors"]) == len(uploads):
            raise HTTPException(422, {"message": "no image in the request could be read", "errors": info["errors"]})
        failed = {error["index"] for error in info["errors"]}
        return {"reduce": scorer.reduce, "rewards": finite(rewards), "artifact_score": finite(info["artifact_score"]),
                "area": finite(info["area"]), "is_artifact": info["is_artifact"],
                "labels": [None if i in failed else list(labels) for i, labels in enumerate(info["labels"])],
                "errors": info["errors"]}

    return app


def app_from_environment() -> FastAPI:
    """The factory each uvicorn worker calls (`artifactsdk serve` puts the settings in its environment)."""
    return create_app(ServerSettings.from_environment())


def load_detector(settings: ServerSettings) -> Detector:
    try:
        return Detector.load(settings.detector)
    except ArtifactSDKError as exc:
        log.error("the server cannot start: %s", exc)
        raise


def detect_or_422(detector: Detector, upload: Upload, timings: bool) -> dict:
    """The Detection of one upload as JSON, named by its file name; 422 for the SDK's errors.
    Only the record leaves: the decoded pixels are freed before the budget is given back."""
    try:
        (result,) = detector.detect_prepared([detector.prepare(upload.data, name=upload.name)])
    except ArtifactSDKError as exc:
        raise HTTPException(422, str(exc)) from exc
    if isinstance(result, DetectionFailure):
        if isinstance(result.exception, ArtifactSDKError):
            raise HTTPException(422, result.error) from result.exception
        raise result.exception
    return result.to_dict(timings=timings)


def score_in_groups(scorer: ArtifactReward, uploads: list[Upload], groups: list[range]) -> tuple[np.ndarray, dict]:
    """The reward of every upload, one group at a time, so only one group's pixels are decoded
    at once; the groups' answers joined as one call's."""
    rewards, info = [], {"artifact_score": [], "area": [], "is_artifact": [], "labels": [], "errors": []}
    for group in groups:
        part_rewards, part = scorer([uploads[i].data for i in group], keep_detections=False)
        rewards.append(part_rewards)
        for key in ("artifact_score", "area", "is_artifact", "labels"):
            info[key].extend(part[key])
        info["errors"] += [{**error, "index": error["index"] + group.start} for error in part["errors"]]
    return np.concatenate(rewards), info


def needs(uploads: list[Upload], max_pixels: int) -> list[int]:
    """The pixels decoding each upload will hold, from the headers (off the event loop:
    opening a file can inflate a text or ICC chunk of up to a few MB)."""
    return [decoded_pixels(upload, max_pixels) for upload in uploads]


def pick_reward(rewards: dict[str, ArtifactReward], reduce: str) -> ArtifactReward:
    if reduce not in rewards:
        raise HTTPException(422, f"unknown reduce {reduce!r}; this server offers {', '.join(rewards)}")
    return rewards[reduce]


def finite(values) -> list[float | None]:
    """JSON has no NaN: an image that could not be scored is null."""
    return [None if math.isnan(v) else float(v) for v in values]
