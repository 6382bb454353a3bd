import io
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

httpx = pytest.importorskip("httpx")
uvicorn = pytest.importorskip("uvicorn")

from artifactsdk.reward import ArtifactReward  # noqa: E402
from artifactsdk.serve import ServerSettings  # noqa: E402
from serve_harness import running_server  # noqa: E402
from tiny_bundle import red_square_image  # noqa: E402

MAX_BYTES = 200_000
MAX_BATCH = 6


def encoded(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


def images(count: int, seed: int = 0) -> list[bytes]:
    """PNGs and JPEGs, every other one with a red artifact."""
    return [encoded(red_square_image(64, (4 + i, 6, 30 + i, 34) if i % 2 else (0, 0, 0, 0), seed=seed + i),
                    "PNG" if i % 3 else "JPEG") for i in range(count)]


def files(blobs: list[bytes]) -> list:
    return [("images", (f"{i}.png", blob, "image/png")) for i, blob in enumerate(blobs)]


@pytest.fixture(scope="module")
def server(detector):
    settings = ServerSettings(max_bytes=MAX_BYTES, max_batch=MAX_BATCH, batch_size=4)
    with running_server(settings, detector) as client:
        yield client


def test_health_and_docs(server):
    health = server.get("/healthz").json()
    assert health["status"] == "ok" and set(health["models"]) == {"segmenter", "classifier"}
    assert health["limits"]["max_batch"] == MAX_BATCH and health["reductions"] == ["score", "area", "weighted"]
    spec = server.get("/openapi.json").json()
    assert {"/v1/detect", "/v1/reward", "/healthz"} <= set(spec["paths"])
    assert "multipart/form-data" in spec["paths"]["/v1/reward"]["post"]["requestBody"]["content"]
    assert server.get("/docs").status_code == 200


def test_concurrent_clients_get_the_library_results(server, detector):
    batches = [images(4, seed=10 * i) for i in range(6)]
    expected = {reduce: [ArtifactReward(detector=detector, reduce=reduce)(batch)[0].tolist() for batch in batches]
                for reduce in ("score", "area")}
    single = batches[0][1]
    expected_detection = detector.detect(single).to_dict()

    def one_round(i):
        reduce = ("score", "area")[i % 2]
        answer = server.post("/v1/reward", params={"reduce": reduce}, files=files(batches[i % len(batches)]))
        detected = server.post("/v1/detect", content=single, headers={"content-type": "image/png"})
        return i, reduce, answer, detected

    with ThreadPoolExecutor(max_workers=4) as pool:
        rounds = list(pool.map(one_round, range(16)))  # bounded: 16 rounds of 2 requests
    for i, reduce, answer, detected in rounds:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["reduce"] == reduce and body["errors"] == []
        np.testing.assert_allclose(body["rewards"], expected[reduce][i % len(batches)], atol=1e-6)
        assert body["is_artifact"] == [False, True, False, True]
        assert detected.status_code == 200 and detected.json() == expected_detection


def test_detect_takes_a_multipart_file_too(server, detector):
    blob = images(2)[1]
    answer = server.post("/v1/detect", files={"image": ("x.png", blob, "image/png")}, params={"timings": True})
    assert answer.status_code == 200
    body = answer.json()
    assert body["labels"] == ["localized_blur"] and "timings_ms" in body
    body.pop("timings_ms")
    assert body == {**detector.detect(blob).to_dict(), "source": "x.png"}  # the upload's file name (issue 24)


def test_bad_uploads_get_4xx_and_the_server_keeps_serving(server):
    good = images(2)
    cases = [
        (server.post("/v1/detect", content=b"plain text", headers={"content-type": "image/png"}), 422,
         "not an image format"),
        (server.post("/v1/detect", content=good[0][:200], headers={"content-type": "image/png"}), 422,
         "cannot be opened as an image"),
        (server.post("/v1/detect", content=b"", headers={"content-type": "image/png"}), 400, "no image"),
        (server.post("/v1/detect", content=b"{}", headers={"content-type": "application/json"}), 415,
         "unsupported content type"),
        (server.post("/v1/detect", content=b"\0" * (MAX_BYTES + 1), headers={"content-type": "image/png"}), 413,
         "limit of 200,000 bytes"),
        (server.post("/v1/reward", files=files(good * 4)), 400, "Too many files"),
        (server.post("/v1/reward", files=files([b"junk", b"more junk"])), 422, "no image in the request"),
        (server.post("/v1/reward", params={"reduce": "mean"}, files=files(good)), 422, "unknown reduce"),
        (server.post("/v1/reward", files={"prompts": (None, "a cat")}), 400, "no image"),  # a form, no file
    ]
    for answer, status, message in cases:
        assert answer.status_code == status, (status, answer.text)
        assert message in answer.text
    mixed = server.post("/v1/reward", files=files([good[0], b"junk", good[1]])).json()
    assert mixed["rewards"][1] is None and mixed["rewards"][0] > mixed["rewards"][2]
    assert mixed["errors"][0]["index"] == 1 and mixed["errors"][0]["error_type"] == "ImageDecodeError"
    assert server.get("/healthz").status_code == 200
    assert server.post("/v1/reward", files=files(good)).status_code == 200


def test_chunked_upload_over_the_limit_is_refused(server):
    def chunks():
        for _ in range(5):
            yield b"\0" * 50_000

    answer = server.post("/v1/detect", content=chunks(), headers={"content-type": "image/png"})
    assert answer.status_code == 413 and "limit" in answer.text
    assert server.get("/healthz").status_code == 200


def test_the_serve_command_starts_workers_that_answer(tiny_bundle):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "artifactsdk.cli", "serve", "--bundle", str(tiny_bundle), "--port", str(port),
               "--workers", "2", "--threads", "1", "--max-pixels", "10000", "--log-level", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        health = None
        deadline = time.monotonic() + 120
        while health is None and time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None, process.stderr.read() if process.poll() is not None else "no answer in 120 s"
        assert health["models"]["segmenter"]["backend"] == "ort-cpu"
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/reward", files=files(images(2)), timeout=30)
        assert answer.status_code == 200 and answer.json()["is_artifact"] == [False, True]
        large = encoded(red_square_image(128, (0, 0, 0, 0)))  # 16384 pixels, over --max-pixels
        refused = httpx.post(f"http://127.0.0.1:{port}/v1/detect", content=large,
                             headers={"content-type": "image/png"}, timeout=30)
        assert refused.status_code == 422 and "exceeds the limit of 10,000" in refused.text
    finally:
        process.terminate()
        process.wait(timeout=30)
