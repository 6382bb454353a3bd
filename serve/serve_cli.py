"""`artifactsdk serve`: run the HTTP server (artifactsdk.serve.app) on uvicorn.

Each of --workers processes loads its own Detector from the same settings, passed in the
environment; within a process one Detector serves every request.
"""

from __future__ import annotations

import click
import uvicorn  # at import time, so a missing `serve` extra is reported by the command table

from artifactsdk.reward import REDUCTIONS
from artifactsdk.serve.settings import MiB, ServerSettings

APP_FACTORY = "artifactsdk.serve.app:app_from_environment"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--bundle", default="default", show_default=True, help="'default' or a bundle directory.")
@click.option("--backend", default="auto", show_default=True, help="As in `artifactsdk detect`.")
@click.option("--precision", default="auto", show_default=True, help="As in `artifactsdk detect`.")
@click.option("--threads", type=click.IntRange(min=1), help="Inference threads per worker (default: all cores).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Server processes, each with its own Detector.")
@click.option("--reduce", type=click.Choice(REDUCTIONS), default="score", show_default=True,
              help="The reward /v1/reward gives when the request names none.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Images per model run inside a /v1/reward request.")
@click.option("--max-mb", type=click.FloatRange(min=0.001), default=32.0, show_default=True,
              help="Largest request body in MiB (413 above).")
@click.option("--max-batch", type=click.IntRange(min=1), default=64, show_default=True,
              help="Most images in one /v1/reward request (400 above).")
@click.option("--max-pixels", type=click.IntRange(min=1), default=4096 * 4096, show_default=True,
              help="Largest decoded image in pixels (422 above).")
@click.option("--log-level", type=click.Choice(("critical", "error", "warning", "info", "debug")),
              default="info", show_default=True)
def serve(host, port, bundle, backend, precision, threads, workers, reduce, batch_size, max_mb, max_batch, max_pixels,
          log_level):
    """Serve POST /v1/detect, POST /v1/reward and GET /healthz (docs at /docs)."""
    ServerSettings(bundle=bundle, backend=backend, precision=precision, threads=threads, reduce=reduce,
                   batch_size=batch_size, max_bytes=int(max_mb * MiB), max_batch=max_batch,
                   max_pixels=max_pixels).to_environment()
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers, log_level=log_level)
