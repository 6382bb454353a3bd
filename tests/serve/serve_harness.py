"""The app on uvicorn in a thread, on a free port of 127.0.0.1, as `artifactsdk serve` runs it
(the same protocol with its deadlines), sharing a Detector the test loaded."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import httpx
import uvicorn

from artifactsdk.serve import ServerSettings, create_app
from artifactsdk.serve.deadlines import deadline_protocol


@contextmanager
def running_server(settings: ServerSettings, detector):
    """Yield an httpx.Client on the server's base URL; the server stops at the end."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings, detector=detector), log_level="warning",
                                           http=deadline_protocol(settings.header_timeout, settings.body_timeout)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start within 60 s"
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=60) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=30)
