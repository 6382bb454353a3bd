"""export-web: what the folder holds, what it refuses, and the server's headers."""

import json
import re
import urllib.request

import numpy as np
import onnxruntime as ort
import pytest
from click.testing import CliRunner

from artifactsdk import Detector
from artifactsdk.bundle import default_bundle_dir
from artifactsdk.cli import main
from artifactsdk.errors import ExportError
from artifactsdk.web.export import export_web
from artifactsdk.web.ort_package import BUILDS, ORT_WEB_VERSION


def test_folder_holds_models_runtime_page_and_the_detectors_numbers(web_out):
    config = json.loads((web_out / "detector.json").read_text())
    with Detector.load("default", precision="int8") as detector:
        assert config["thresholds"] == detector.thresholds.to_dict()
        assert config["labels"] == detector.bundle.model("classifier")["labels"]
    assert config["onnxruntime_web"] == ORT_WEB_VERSION
    for role, model in config["models"].items():
        assert set(model["files"]) == {"int8"}   # the shipped bundle has no fp32 to make fp16 from
        assert (web_out / model["files"]["int8"]).read_bytes() == (default_bundle_dir() / f"{role}.int8.onnx").read_bytes()
    assert all((web_out / "ort" / name).stat().st_size > 0 for name in BUILDS["wasm"])
    assert not any((web_out / "ort" / name).exists() for name in set(BUILDS["webgpu"]) - set(BUILDS["wasm"]))
    for page_file in ("artifact-detector.js", "index.html", "demo.js"):
        assert not re.search(r"https?://", (web_out / page_file).read_text()), f"{page_file} reaches the network"


def test_fp16_models_agree_with_fp32(full_web_out, reference_bundle):
    """The WebGPU models are the fp32 graphs in fp16 with float32 inputs and outputs."""
    config = json.loads((full_web_out / "detector.json").read_text())
    assert all(set(model["files"]) == {"fp32", "fp16"} for model in config["models"].values())
    pixels = np.random.default_rng(0).normal(size=(1, 3, 512, 512)).astype(np.float32)
    for role in ("classifier", "segmenter"):
        half = ort.InferenceSession(str(full_web_out / f"models/{role}.fp16.onnx"), providers=["CPUExecutionProvider"])
        full = ort.InferenceSession(str(reference_bundle / f"{role}.fp32.onnx"), providers=["CPUExecutionProvider"])
        for a, b in zip(half.run(None, {"pixels": pixels}), full.run(None, {"pixels": pixels})):
            assert a.dtype == np.float32 and a.shape == b.shape
            assert np.abs(a - b).max() < 0.05 * (np.abs(b).max() + 1)


def test_refuses_the_bundle_folder_and_foreign_folders(tmp_path):
    with pytest.raises(ExportError, match="overlaps the bundle"):
        export_web("default", default_bundle_dir() / "web")
    (tmp_path / "mine.txt").write_text("keep")
    result = CliRunner().invoke(main, ["export-web", "default", "--out", str(tmp_path), "--no-webgpu"])
    assert result.exit_code != 0 and "is not an earlier export-web folder" in result.output
    assert (tmp_path / "mine.txt").read_text() == "keep"


def test_server_sets_cross_origin_isolation(site):
    with urllib.request.urlopen(site + "ort/" + BUILDS["wasm"][2]) as response:
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
        assert response.headers["Content-Type"] == "application/wasm"


def test_ort_from_a_local_package_checks_its_version(web_out, tmp_path):
    from artifactsdk.cache import cache_root
    from artifactsdk.web.ort_package import ort_web_dist

    cached = cache_root() / f"onnxruntime-web-{ORT_WEB_VERSION}" / "package"
    assert ort_web_dist(source=cached) == cached
    (tmp_path / "package.json").write_text(json.dumps({"name": "onnxruntime-web", "version": "1.0.0"}))
    with pytest.raises(ExportError, match=f"holds onnxruntime-web 1.0.0; this SDK is built against {ORT_WEB_VERSION}"):
        ort_web_dist(source=tmp_path)
    with pytest.raises(ExportError, match="not an npm package folder"):
        ort_web_dist(source=tmp_path / "nothing")
