import dataclasses
import importlib.util
import logging

import pytest

from artifactsdk.errors import BackendUnavailableError, InvalidInputError
from artifactsdk.runtimes import registry
from artifactsdk.runtimes.onnxruntime_backend import available_providers

CPU_ONLY = "CUDAExecutionProvider" not in available_providers()


def test_order_is_tensorrt_then_ort_gpu_then_cpu_then_torch():
    assert [e.name for e in registry.BACKENDS] == ["tensorrt", "ort-tensorrt", "ort-cuda", "ort-cpu", "torch"]


@pytest.mark.skipif(not CPU_ONLY, reason="this machine has a GPU provider")
def test_auto_takes_ort_cpu_here_and_logs_why_each_better_one_was_skipped(caplog):
    with caplog.at_level(logging.INFO, logger="artifactsdk.runtimes.registry"):
        chosen = registry.select("auto", {"onnx", "safetensors"}, what="the segmenter")
    assert chosen.name == "ort-cpu"
    skipped = {r.getMessage().split("skipping backend ")[1].split(":")[0]
               for r in caplog.records if "skipping" in r.getMessage()}
    assert skipped == {"tensorrt", "ort-tensorrt", "ort-cuda"}
    assert any("TensorrtExecutionProvider" in r.getMessage() for r in caplog.records)


def test_auto_uses_what_the_bundle_has():
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch not installed")
    assert registry.select("auto", {"safetensors"}).name == "torch"
    with pytest.raises(BackendUnavailableError, match="no backend"):
        registry.select("auto", {"torchscript"})


def test_explicit_choices_are_checked():
    with pytest.raises(InvalidInputError, match="unknown backend 'onnx'.*ort-cpu"):
        registry.select("onnx", {"onnx"})
    with pytest.raises(BackendUnavailableError, match="cannot run the model"):
        registry.select("torch", {"onnx"})
    assert registry.select("ort-cpu", {"onnx"}).load_class().__name__ == "OrtCpuBackend"


@pytest.mark.skipif(not CPU_ONLY, reason="this machine has CUDA")
def test_explicit_gpu_backend_on_cpu_machine_says_why():
    with pytest.raises(BackendUnavailableError, match="CUDAExecutionProvider"):
        registry.select("ort-cuda", {"onnx"})


def test_the_bundle_is_asked_for_a_file_before_the_machine_is_probed():
    def probe():
        raise AssertionError("probed although the bundle has no file for this backend")

    entry = dataclasses.replace(registry.BY_NAME["tensorrt"], probe=probe)
    assert entry.unavailable_reason({"onnx", "safetensors"}) == "the bundle has no engine file for it"
