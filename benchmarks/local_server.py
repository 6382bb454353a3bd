"""A free local port for `artifactsdk serve`, and the wait until it answers: for the benchmarks
that time it (reward_throughput) or weigh it (serve_memory)."""

from __future__ import annotations

import socket
import time

import click


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(client, server, seconds: float = 120) -> None:
    import httpx  # the tests' HTTP client, from the dev extra: only the server benchmarks need it

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise click.ClickException(f"artifactsdk serve exited with {server.returncode}")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise click.ClickException(f"artifactsdk serve did not answer within {seconds:.0f} s")
