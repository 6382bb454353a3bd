"""`artifactsdk serve`: detection and rewards over HTTP (FastAPI on uvicorn; the `serve` extra).

    from artifactsdk import DetectorSettings
    from artifactsdk.serve import create_app, ServerSettings
    app = create_app(ServerSettings(DetectorSettings("default"), max_batch=32))   # any ASGI server runs it
"""

from artifactsdk.serve.app import create_app
from artifactsdk.serve.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
