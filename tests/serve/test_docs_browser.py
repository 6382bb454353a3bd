"""/docs in a real headless Chromium with every request off this server refused: Swagger UI
comes from the installed swagger-ui-bundle package, not a CDN (issue 24)."""

import pytest

pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

from artifactsdk.serve import ServerSettings  # noqa: E402
from serve_harness import running_server  # noqa: E402


def test_docs_render_offline(chromium, detector, tmp_path):
    with running_server(ServerSettings(), detector) as client:
        base = str(client.base_url)
        context = chromium.new_context(viewport={"width": 1280, "height": 1000})
        refused = []

        def local_only(route):
            if route.request.url.startswith(base):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        context.route("**/*", local_only)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/docs")
        page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        page.click("#operations-default-detect_v1_detect_post .opblock-summary")
        page.wait_for_selector("#operations-default-detect_v1_detect_post .responses-table")
        text = page.text_content(".swagger-ui")
        page.screenshot(path=str(tmp_path / "docs.png"), full_page=True)
        context.close()
    assert errors == [] and refused == []
    assert all(path in text for path in ("/v1/detect", "/v1/reward", "/healthz"))
    assert all(status in text for status in ("413", "415", "422", "503"))
    assert (tmp_path / "docs.png").stat().st_size > 10_000
