"""`artifactsdk serve`: run the HTTP server (artifactsdk.serve.app) on uvicorn.

Each of --workers processes loads its own Detector from the same settings, passed in the
environment; within a process one Detector serves every request.
"""

from __future__ import annotations

import click
import uvicorn  # at import time, so a missing `serve` extra is reported by the command table

from artifactsdk.cli.detector_options import detector_options
from artifactsdk.cli.option_settings import build_settings, settings_option
from artifactsdk.reward import REDUCTIONS
from artifactsdk.serve.deadlines import deadline_protocol
from artifactsdk.serve.settings import MiB, ServerSettings

APP_FACTORY = "artifactsdk.serve.app:app_from_environment"


def setting(name: str, *param_decls: str, **attrs):
    """A --option for ServerSettings field `name`, with the field's default."""
    return settings_option(ServerSettings, name, *param_decls, **attrs)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@detector_options(ServerSettings, threads={"help": "Inference threads per worker (default: all cores)."},
                  max_pixels={"help": "Largest decoded image in pixels (422 above)."})
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Server processes, each with its own Detector.")
@setting("reduce", "--reduce", type=click.Choice(REDUCTIONS),
         help="The reward /v1/reward gives when the request names none.")
@setting("batch_size", "--batch-size", type=click.IntRange(min=1),
         help="Images per model run inside a /v1/reward request.")
@click.option("--max-mb", type=click.FloatRange(min=0.001), default=ServerSettings.max_bytes / MiB, show_default=True,
              help="Largest request body in MiB (413 above).")
@setting("max_batch", "--max-batch", type=click.IntRange(min=1),
         help="Most images in one /v1/reward request (400 above).")
@setting("pixel_budget", "--pixel-budget", type=click.IntRange(min=1),
         help="Decoded pixels the requests of a worker may hold at once (at least --max-pixels); "
              "a request that finds it taken waits --queue-seconds, then gets 503.")
@setting("queue_seconds", "--queue-seconds", type=click.FloatRange(min=0.001),
         help="How long a request waits for the pixel budget before 503 with Retry-After.")
@setting("header_timeout", "--header-timeout", type=click.FloatRange(min=0.001),
         help="Seconds a request's headers may take to arrive (then the connection is closed).")
@setting("body_timeout", "--body-timeout", type=click.FloatRange(min=0.001),
         help="Seconds a request's body may take after its headers.")
@click.option("--log-level", type=click.Choice(("critical", "error", "warning", "info", "debug")),
              default="info", show_default=True)
def serve(host, port, workers, max_mb, log_level, **settings):
    """Serve POST /v1/detect, POST /v1/reward and GET /healthz (docs at /docs)."""
    built = build_settings(ServerSettings, {**settings, "max_bytes": int(max_mb * MiB)})
    built.to_environment()
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers, log_level=log_level,
                http=deadline_protocol(built.header_timeout, built.body_timeout))
