"""The native TensorRT backend: refusal of mismatched engines, availability, GPU runs.

`test_contract_*` tests use tests/tensorrt/fake_tensorrt.py and a stated GPU identity to
check OUR checks before deserialisation; they are not TensorRT support. The `gpu` test
skips here with the reason.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from fake_tensorrt import make_fake_tensorrt
from gpu_marks import GPU, needs_gpu

from artifactsdk.errors import BackendUnavailableError, BundleError
from artifactsdk.export.tensorrt_build import EngineBuildOptions, build_bundle_engines
from artifactsdk.runtimes import registry, tensorrt_backend
from artifactsdk.runtimes.base import ModelFile
from artifactsdk.runtimes.tensorrt_support import GpuIdentity


def _engine_file(bundle, variant="trt-fp16") -> ModelFile:
    from artifactsdk.manifest import read_manifest

    model = read_manifest(bundle)["models"]["segmenter"]
    entry = model["files"][variant]
    return ModelFile(path=bundle / entry["path"], variant=variant, entry=entry, model=model)


@pytest.fixture
def fake_engine_bundle(monkeypatch, bundle_factory):
    monkeypatch.setitem(sys.modules, "tensorrt", make_fake_tensorrt(version="10.8.0"))
    bundle = bundle_factory(("fp32",))
    build_bundle_engines(bundle, EngineBuildOptions(precision="fp16"), gpu=GPU)
    return bundle


def test_without_tensorrt_the_registry_says_why_the_engine_backend_cannot_run(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    if tensorrt_backend.unavailable_reason() is None:
        pytest.skip("TensorRT and a GPU are present here")
    with pytest.raises(BackendUnavailableError, match="backend tensorrt cannot run"):
        registry.select("tensorrt", {"engine", "onnx"})
    assert registry.select("auto", {"engine", "onnx"}).name != "tensorrt"


@pytest.mark.parametrize("trt_version, gpu, complaint", [
    ("10.9.0", GPU, "built for TensorRT 10.8.0, this machine has TensorRT 10.9.0"),
    ("10.8.0", GpuIdentity("NVIDIA A100", "8.0"), "compute capability 8.6"),
])
def test_contract_a_mismatched_engine_is_refused_before_deserialisation(
        fake_engine_bundle, monkeypatch, trt_version, gpu, complaint):
    monkeypatch.setitem(sys.modules, "tensorrt", make_fake_tensorrt(version=trt_version))
    monkeypatch.setattr(tensorrt_backend, "detect_gpu", lambda device=0: gpu)
    backend = tensorrt_backend.TensorRTBackend(_engine_file(fake_engine_bundle))
    with pytest.raises(BundleError) as error:
        backend.activate()
    assert complaint in str(error.value)
    assert f"artifactsdk build-engine {fake_engine_bundle} --precision fp16" in str(error.value)
    assert not backend.is_active


@pytest.mark.gpu
@needs_gpu
def test_gpu_engine_runs_and_matches_onnx_runtime(bundle_factory):
    from artifactsdk.runtimes.onnxruntime_backend import onnx_file_backend

    bundle = bundle_factory(("fp32",))
    build_bundle_engines(bundle, EngineBuildOptions(precision="fp16"))
    pixels = np.random.default_rng(0).normal(size=(2, 3, 64, 64)).astype(np.float32)
    with tensorrt_backend.TensorRTBackend(_engine_file(bundle)) as backend:
        got = backend.run({"pixels": pixels})["logits"]
    expected = onnx_file_backend(bundle / "segmenter.fp32.onnx").run_batch(pixels)["logits"]
    assert np.abs(got - expected).max() < 1e-2
