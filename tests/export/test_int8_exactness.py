"""The cpu preset's int8 arithmetic is exact on every x86 kernel path of ONNX Runtime, and
the export proves it from the file (export/int8_exactness.py)."""

import platform
import shutil
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from tiny_models import SPEC

from artifactsdk.calibration.reader import ImageBatchReader
from artifactsdk.errors import ExportError
from artifactsdk.export.int8_exactness import INT16_MAX, exactness_record, integer_weights
from artifactsdk.export.int8_judge import require_exact
from artifactsdk.export.quantize import Int8Settings, Quantizer


def _cpu_int8(fp32_segmenter, calibration, out):
    with Quantizer(fp32_segmenter[1], ImageBatchReader(calibration.images, SPEC, 4), Int8Settings()) as quantizer:
        return quantizer.write(out)


def integer_product(weights: np.ndarray, activations: np.ndarray) -> np.ndarray:
    """ONNX Runtime's MatMulInteger of uint8 `activations` [M, K] by int8 `weights` [K, N]
    (zero points 0): the u8 x s8 GEMM kernel the int8 models' convolutions run on."""
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "W"], ["Y"])], "product",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, list(activations.shape))],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, None)],
        initializer=[numpy_helper.from_array(weights.astype(np.int8), "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"A": activations})[0]


def test_cpu_preset_weights_are_proved_exact_on_every_x86_path(fp32_segmenter, calibration, tmp_path):
    record = exactness_record(_cpu_int8(fp32_segmenter, calibration, tmp_path / "q.onnx"))
    assert record["integer_products"] > 0 and record["saturating_products"] == []
    assert record["worst_pair_sum"] <= INT16_MAX
    assert set(record["exact_kernel_paths"]) == {"vnni", "avx2", "avx512"}


def test_onnx_runtime_multiplies_the_cpu_presets_weights_exactly(fp32_segmenter, calibration, tmp_path):
    """Every integer product of the model, at the activations that push the int16 pair sums
    of CPUs without VNNI hardest (255 everywhere) and at random ones, against numpy's exact
    integers. Holds on any CPU; 8-bit weights fail it on an AVX2 CPU (see the emulated test)."""
    model = onnx.load(str(_cpu_int8(fp32_segmenter, calibration, tmp_path / "q.onnx")))
    rng = np.random.default_rng(0)
    for name, rows in integer_weights(model).items():
        weights = rows.T  # [K, N]
        for activations in (np.full((4, weights.shape[0]), 255, np.uint8),
                            rng.integers(0, 256, (16, weights.shape[0]), dtype=np.uint8)):
            expected = activations.astype(np.int64) @ weights.astype(np.int64)
            np.testing.assert_array_equal(integer_product(weights, activations), expected, err_msg=name)


def _qdq_matmul(weights: np.ndarray) -> onnx.ModelProto:
    """uint8 activations x the int8 `weights` [K, N], both through DequantizeLinear."""
    k, n = weights.shape
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"]),
             helper.make_node("DequantizeLinear", ["w", "s"], ["wd"]),
             helper.make_node("MatMul", ["xd", "wd"], ["y"], name="the_product")]
    inits = [numpy_helper.from_array(weights.astype(np.int8), "w"), numpy_helper.from_array(np.float32(0.1), "s"),
             numpy_helper.from_array(np.uint8(128), "z")]
    graph = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, k])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_a_product_whose_pairs_can_pass_int16_is_named_and_fails_the_cpu_preset(tmp_path):
    path = tmp_path / "eight_bit.onnx"
    weights = np.zeros((8, 2), np.int8)
    weights[[0, 5], 0] = 127  # 255 x (127 + 127) = 64770 > 32767
    weights[:, 1] = [64, -64, 64, 3, 0, 0, 0, -64]  # 255 x 128 = 32640: fits
    onnx.save(_qdq_matmul(weights), path)
    record = exactness_record(path)
    assert record["worst_pair_sum"] == 64770 and record["saturating_products"] == ["the_product"]
    assert record["exact_kernel_paths"] == ["vnni"]
    with pytest.raises(ExportError, match="past int16.*the_product"):
        require_exact(path, Int8Settings(preset="cpu"))
    assert require_exact(path, Int8Settings(preset="tensorrt"))["saturating_products"] == ["the_product"]


EMULATED = """
import numpy as np
from test_int8_exactness import integer_product
rng = np.random.default_rng(1)
activations = rng.integers(200, 256, (32, 64), dtype=np.uint8)
for low, high in ((-127, 127), (-64, 64)):
    weights = rng.integers(low, high + 1, (64, 32), dtype=np.int8)
    exact = activations.astype(np.int64) @ weights.astype(np.int64)
    print(int(np.abs(integer_product(weights, activations) - exact).max()))
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("qemu-x86_64") is None or platform.machine() != "x86_64",
                    reason="needs Debian's qemu-user (apt-get install qemu-user) on x86-64 to emulate an AVX2 CPU")
def test_an_emulated_avx2_cpu_saturates_8_bit_weights_and_multiplies_7_bit_ones_exactly(tmp_path):
    """qemu-user's Haswell (AVX2, no VNNI, no AVX-512): ONNX Runtime takes its vpmaddubsw path there."""
    from pathlib import Path

    # `python -c` imports from its working directory: this test module's folder.
    run = subprocess.run(["qemu-x86_64", "-cpu", "Haswell", sys.executable, "-c", EMULATED],
                         cwd=Path(__file__).parent, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    eight_bit, seven_bit = (int(line) for line in run.stdout.split())
    assert eight_bit > 0, "8-bit weights were exact: the emulated CPU did not take the AVX2 path"
    assert seven_bit == 0
