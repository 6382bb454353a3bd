"""Headless Chromium for the browser tests and benchmarks: the system's Chromium (Debian's
`chromium` package) driven by Playwright, and a local server for the pages it opens.

Playwright's own browser download is never used: `launch` passes the system executable.
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

from artifactsdk.errors import MissingDependencyError
from artifactsdk.web.serve import make_server

EXECUTABLES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Enough for a headless container: no sandbox (root, no user namespaces), no GPU.
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage")


def chromium_executable() -> str | None:
    """$ARTIFACTSDK_CHROMIUM, else the first Chromium on PATH, else None."""
    configured = os.environ.get("ARTIFACTSDK_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return next((found for name in EXECUTABLES if (found := shutil.which(name))), None)


def browser_unavailable() -> str | None:
    """Why a headless Chromium cannot be started here, or None when it can."""
    try:
        import playwright  # noqa: F401
    except ModuleNotFoundError:
        return "the Python package 'playwright' is not installed (pip install 'artifactsdk[dev]')"
    if chromium_executable() is None:
        return ("no Chromium executable found (apt-get install chromium, or set ARTIFACTSDK_CHROMIUM "
                "to a Chromium binary)")
    return None


@contextmanager
def launch(webgpu: bool = False):
    """Yield a headless Playwright Browser running the system's Chromium; `webgpu` turns on
    WebGPU, which headless Chromium on Linux leaves off."""
    reason = browser_unavailable()
    if reason:
        raise MissingDependencyError(f"cannot start headless Chromium: {reason}.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_executable(), headless=True,
                                         args=[*CHROMIUM_ARGS, *(("--enable-unsafe-webgpu",) if webgpu else ())])
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serve(directory: str | Path):
    """Serve `directory` (cross-origin isolated) on a free local port; yield its base URL."""
    server = make_server(directory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
