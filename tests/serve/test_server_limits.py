"""The server's contract and limits (issues 24 and 26): typed answers in /openapi.json, the
upload's name as `source`, failures never clean, every decoder error a 422, the pixel
budget, and deadlines for requests that trickle in."""

import asyncio
import io
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

from fastapi import HTTPException  # noqa: E402

from artifactsdk.reward import ArtifactReward  # noqa: E402
from artifactsdk.detector_settings import DetectorSettings  # noqa: E402
from artifactsdk.serve import ServerSettings  # noqa: E402
from artifactsdk.serve.budget import PixelBudget, pixel_groups  # noqa: E402
from artifactsdk.serve.uploads import Upload, decoded_pixels  # noqa: E402
from bad_images import inflating_chunk_pngs  # noqa: E402
from serve_harness import running_server  # noqa: E402
from tiny_bundle import red_square_image  # noqa: E402

SIDE = 256  # the largest image these servers decode
ERROR_STATUSES = {"400", "413", "415", "422", "503"}


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(detector):
    """A server whose budget holds one largest image at a time (every request waits its turn)."""
    settings = ServerSettings(DetectorSettings(max_pixels=SIDE * SIDE), pixel_budget=SIDE * SIDE, batch_size=4,
                              header_timeout=1.0, body_timeout=1.0)
    with running_server(settings, detector) as client:
        yield client


def test_openapi_documents_every_field_and_every_error_status(server):
    spec = server.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path, model in (("/v1/detect", "Detection"), ("/v1/reward", "Rewards")):
        responses = spec["paths"][path]["post"]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{model}"}
        assert ERROR_STATUSES <= set(responses), (path, sorted(responses))
        assert all(responses[status]["description"] for status in ERROR_STATUSES)
    detection = server.post("/v1/detect", content=png(red_square_image(64, (8, 8, 40, 40))),
                            headers={"content-type": "image/png"}).json()
    assert set(detection) <= set(schemas["Detection"]["properties"])
    assert set(detection["regions"][0]) == set(schemas["Region"]["properties"])
    reward = server.post("/v1/reward", files=[("images", ("a.png", png(red_square_image(64, (0, 0, 0, 0)))))]).json()
    assert set(reward) == set(schemas["Rewards"]["properties"])
    assert set(server.get("/healthz").json()) == set(schemas["Health"]["properties"])


def test_source_is_the_uploads_file_name(server):
    answer = server.post("/v1/detect", files={"image": ("cat 01.png", png(red_square_image(64, (0, 0, 0, 0))))})
    assert answer.status_code == 200 and answer.json()["source"] == "cat 01.png"


def test_an_unreadable_image_is_null_in_every_list_never_clean(server):
    clean = png(red_square_image(64, (0, 0, 0, 0)))
    answer = server.post("/v1/reward", files=[("images", ("a.png", clean)), ("images", ("b.png", b"junk"))])
    body = answer.json()
    assert answer.status_code == 200, body
    assert body["is_artifact"] == [False, None] and body["labels"] == [[], None]
    assert body["rewards"][1] is None and body["artifact_score"][1] is None and body["area"][1] is None
    assert body["errors"][0]["index"] == 1 and body["errors"][0]["error_type"] == "ImageDecodeError"


@pytest.mark.parametrize("kind", ["zTXt", "iCCP"])
def test_a_decoder_error_is_422_not_500(server, kind):
    answer = server.post("/v1/detect", content=inflating_chunk_pngs()[kind], headers={"content-type": "image/png"})
    assert answer.status_code == 422 and "cannot be opened as an image" in answer.text
    assert server.get("/healthz").status_code == 200


def test_a_batch_larger_than_the_budget_is_scored_a_group_at_a_time(server, detector):
    """Six largest images in one request, a budget of one: each is decoded alone, in turn."""
    batch = [png(red_square_image(SIDE, (20 * i, 10, 60 + 20 * i, 90), seed=i)) for i in range(6)]
    answer = server.post("/v1/reward", files=[("images", (f"{i}.png", blob)) for i, blob in enumerate(batch)])
    assert answer.status_code == 200, answer.text
    expected = ArtifactReward(detector=detector)(batch)[0]
    np.testing.assert_allclose(answer.json()["rewards"], expected, atol=1e-6)


def test_pixel_groups_bound_images_and_pixels():
    assert pixel_groups([5, 5, 5, 20, 1, 1], most_images=2, most_pixels=10) == [
        range(0, 2), range(2, 3), range(3, 4), range(4, 6)]
    assert pixel_groups([], most_images=2, most_pixels=10) == []


def test_the_pixels_of_an_upload_come_from_its_header_alone():
    whole = png(np.zeros((300, 200, 3), np.uint8))
    header_only = whole[:whole.index(b"IDAT") + 4]  # up to the pixel data, none of it
    assert decoded_pixels(Upload("x.png", header_only), max_pixels=10**6) == 200 * 300
    assert decoded_pixels(Upload("x.png", header_only), max_pixels=1000) == 0  # refused before decoding
    assert decoded_pixels(Upload("x.png", b"junk"), max_pixels=10**6) == 0


def test_the_budget_makes_work_wait_and_answers_503_with_retry_after():
    async def scenario():
        budget = PixelBudget(capacity=100, wait_seconds=0.2)
        order = []
        async with budget.hold(80):
            with pytest.raises(HTTPException) as refused:
                async with budget.hold(30):
                    pass
            waiter = asyncio.ensure_future(waited(budget, order))
            await asyncio.sleep(0)
            order.append("first done")
        await waiter
        return refused.value, order, budget.held

    async def waited(budget, order):
        async with budget.hold(30):
            order.append("second ran")

    with ThreadPoolExecutor(1) as thread:  # a loop of its own (a browser test may run one on this thread)
        refused, order, held = thread.submit(asyncio.run, scenario()).result(timeout=60)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert "budget of 100 decoded pixels" in refused.detail
    assert order == ["first done", "second ran"] and held == 0


def trickle(port: int, head: bytes, drip: bytes, seconds: float) -> float:
    """Send `head`, then `drip` one byte every 50 ms for up to `seconds`; return how long the
    server kept the connection open (`seconds` when it never closed it)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as sock:
        sock.sendall(head)
        while time.monotonic() - started < seconds:
            try:
                sock.sendall(drip[:1])
            except OSError:  # reset by the server
                return time.monotonic() - started
            sock.settimeout(0.05)
            try:
                if sock.recv(4096) == b"":  # closed by the server
                    return time.monotonic() - started
            except TimeoutError:
                pass
            except OSError:
                return time.monotonic() - started
    return seconds


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_request_that_trickles_in_is_cut_off(server, part):
    """Issue 26, "Why" 16: the server (deadlines of 1 s here) closes the connection of a
    request whose headers or body trickle in, long before the 20 s the client would take."""
    port = int(server.base_url.port)
    if part == "headers":
        head, drip = b"POST /v1/detect HTTP/1.1\r\nHost: x\r\n", b"X"
    else:
        head, drip = b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n", b"\0"
    assert trickle(port, head, drip, seconds=20.0) < 15.0
    assert server.get("/healthz").status_code == 200
