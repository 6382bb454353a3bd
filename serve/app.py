"""The HTTP server's app: detection and rewards over HTTP for trainers and services that run
elsewhere (Flow-GRPO's remote-reward pattern), JSON only.

POST /v1/detect   one image -> the Detection's JSON
POST /v1/reward   a batch of images -> rewards + info (null reward for an unreadable image)
GET  /healthz     the models that run, the limits
OpenAPI docs at /docs and /openapi.json. One Detector per process is shared by every
request; inference runs in the threadpool, so requests overlap.
"""

from __future__ import annotations

import logging
import math
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from artifactsdk import __version__
from artifactsdk.detector import Detector
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.reward import REDUCTIONS, ArtifactReward
from artifactsdk.serve.body_limit import BodyLimit, BodyTooLarge
from artifactsdk.serve.settings import ServerSettings
from artifactsdk.serve.uploads import binary_body, read_images

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
        try:
            yield
        finally:
            if detector is None:
                shared.close()

    app = FastAPI(title="artifactsdk", version=__version__, lifespan=lifespan,
                  description="Find artifacts in generated images and score them as a reward "
                              "(higher = fewer artifacts).")
    app.add_middleware(BodyLimit, max_bytes=settings.max_bytes)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, exc: BodyTooLarge):
        return JSONResponse({"detail": str(exc)}, status_code=413)

    @app.get("/healthz")
    async def healthz(request: Request) -> dict:
        """The server is up; which models run where, and the request limits."""
        return {"status": "ok", "version": __version__, "models": request.app.state.detector.describe()["models"],
                "reductions": list(request.app.state.rewards), "default_reduce": settings.reduce,
                "limits": {"max_bytes": settings.max_bytes, "max_batch": settings.max_batch,
                           "max_pixels": settings.max_pixels}}

    @app.post("/v1/detect", openapi_extra=binary_body("image", many=False))
    async def detect(request: Request, timings: bool = Query(False, description="Add per-stage milliseconds.")):
        """One image (a multipart file, or the raw body) -> the Detection's JSON. 422 when the
        image cannot be read."""
        (image,) = await read_images(request, max_images=1)
        detection = await run_in_threadpool(detect_or_422, request.app.state.detector, image)
        return detection.to_dict(timings=timings)

    @app.post("/v1/reward", openapi_extra=binary_body("images", many=True))
    async def reward(request: Request, reduce: str | None = Query(None, description=", ".join(REDUCTIONS))):
        """A batch of images (multipart files, in order) -> one reward each, higher = fewer
        artifacts, with the artifact scores, areas and labels. An image that cannot be read
        gets reward null and an entry in `errors`; 422 when none can."""
        scorer = pick_reward(request.app.state.rewards, reduce or settings.reduce)
        images = await read_images(request, max_images=settings.max_batch)
        rewards, info = await run_in_threadpool(scorer, images)
        if len(info["errors"]) == len(images):
            raise HTTPException(422, {"message": "no image in the request could be read", "errors": info["errors"]})
        return {"reduce": scorer.reduce, "rewards": finite(rewards), "artifact_score": finite(info["artifact_score"]),
                "area": finite(info["area"]), "is_artifact": [bool(v) for v in info["is_artifact"]],
                "labels": [list(labels) for labels in info["labels"]], "errors": info["errors"]}

    return app


def app_from_environment() -> FastAPI:
    """The factory each uvicorn worker calls (`artifactsdk serve` puts the settings in its environment)."""
    return create_app(ServerSettings.from_environment())


def load_detector(settings: ServerSettings) -> Detector:
    try:
        return Detector.load(settings.bundle, backend=settings.backend, precision=settings.precision,
                             threads=settings.threads, max_pixels=settings.max_pixels,
                             trusted_keys=settings.trusted_keys)
    except ArtifactSDKError as exc:
        log.error("the server cannot start: %s", exc)
        raise


def detect_or_422(detector: Detector, image: bytes):
    try:
        return detector.detect(image)
    except ArtifactSDKError as exc:
        raise HTTPException(422, str(exc)) from exc


def pick_reward(rewards: dict[str, ArtifactReward], reduce: str) -> ArtifactReward:
    if reduce not in rewards:
        raise HTTPException(422, f"unknown reduce {reduce!r}; this server offers {', '.join(rewards)}")
    return rewards[reduce]


def finite(values) -> list[float | None]:
    """JSON has no NaN: an image that could not be scored is null."""
    return [None if math.isnan(v) else float(v) for v in values]
