import numpy as np
import pytest

from artifactsdk.bundle import Bundle
from artifactsdk.errors import BackendUnavailableError, InvalidInputError
from artifactsdk.preprocess import to_tensor
from artifactsdk.runtimes.onnxruntime_backend import (OrtCpuBackend, OrtCudaBackend, OrtTensorRTBackend,
                                                      available_providers, tensorrt_options)
from tiny_bundle import SPEC, red_square_image


def _file(bundle_dir, role="segmenter", precision="fp32"):
    return Bundle.open(bundle_dir).model_file(role, "onnx", precision, "cpu")


def test_ort_cpu_runs_named_inputs_to_named_outputs(tiny_bundle):
    with OrtCpuBackend(_file(tiny_bundle), threads=1) as backend:
        assert backend.input_metadata()["pixels"].shape == ("N", 3, 32, 32)
        assert backend.input_metadata()["pixels"].dynamic_batch
        assert backend.output_metadata()["artifact_logits"].dtype == "float32"
        assert backend.session.get_session_options().intra_op_num_threads == 1
        feed = np.concatenate([to_tensor(red_square_image(32, (0, 0, 8, 8)), SPEC)] * 2)
        out = backend.run({"pixels": feed})
        assert set(out) == {"artifact_logits"} and out["artifact_logits"].shape == (2, 1, 8, 8)
        logits = out["artifact_logits"][0, 0]
        assert logits[0, 0] > 5 and logits[7, 7] < -5  # red corner cell vs grey cell
        backend.warmup(runs=2)
        assert backend.describe() == {"backend": "ort-cpu", "device": "cpu", "variant": "fp32",
                                      "precision": "fp32", "file": "segmenter.fp32.onnx"}
    assert not backend.is_active


def test_run_checks_state_and_input_names(tiny_bundle):
    backend = OrtCpuBackend(_file(tiny_bundle, "classifier"))
    with pytest.raises(RuntimeError, match="activate"):
        backend.run({"pixels": np.zeros((1, 3, 32, 32), np.float32)})
    with backend:
        with pytest.raises(InvalidInputError, match="expects inputs"):
            backend.run({"image": np.zeros((1, 3, 32, 32), np.float32)})
        out = backend.run({"pixels": np.zeros((1, 3, 32, 32), np.float32)})
        assert out["class_logits"].shape == (1, 13) and out["artifact_logit"].shape == (1, 1)


def test_int8_file_runs_and_agrees_with_fp32(tiny_bundle):
    feed = np.concatenate([to_tensor(red_square_image(32, (x, 4, x + 12, 16), seed=x), SPEC) for x in (0, 8, 16)])
    with OrtCpuBackend(_file(tiny_bundle, precision="fp32")) as fp32, \
            OrtCpuBackend(_file(tiny_bundle, precision="int8")) as int8:
        a, b = fp32.run({"pixels": feed})["artifact_logits"], int8.run({"pixels": feed})["artifact_logits"]
    assert int8.model.precision == "int8"
    assert np.array_equal(a > 0, b > 0)
    assert np.abs(a - b).max() < 1.0


@pytest.mark.skipif("CUDAExecutionProvider" in available_providers(), reason="this machine has CUDA")
def test_gpu_backends_refuse_to_fall_back_silently_to_cpu(tiny_bundle):
    for cls in (OrtCudaBackend, OrtTensorRTBackend):
        with pytest.raises(BackendUnavailableError, match="fell back|could not load"):
            cls(_file(tiny_bundle), cache_dir=None).activate()


def test_tensorrt_provider_options_follow_the_file(tiny_bundle, tmp_path):
    int8 = _file(tiny_bundle, precision="int8")
    options = tensorrt_options(int8, tmp_path)
    assert options["trt_int8_enable"] and options["trt_fp16_enable"]
    assert options["trt_engine_cache_enable"] and options["trt_timing_cache_enable"]
    assert options["trt_engine_cache_path"] == str(tmp_path / int8.entry["sha256"][:16])
    fp32 = tensorrt_options(_file(tiny_bundle, precision="fp32"), tmp_path)
    assert not fp32["trt_int8_enable"] and not fp32["trt_fp16_enable"]
    assert fp32["trt_engine_cache_path"] != options["trt_engine_cache_path"]
    assert (options["trt_profile_min_shapes"], options["trt_profile_max_shapes"]) == \
        ("pixels:1x3x32x32", "pixels:8x3x32x32")
