"""The machine's measured peak: a large fp32 GEMM and an int8 GEMM through ONNX
Runtime, with the same thread count as the models.

The models run on the same MLAS kernels (convolutions are lowered to GEMMs), so
model MAC/s divided by these numbers is an honest "fraction of what this runtime can
get out of this machine", not a fraction of a datasheet number.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from artifactsdk.benchmarks.timing import LatencyStats, RunPolicy, measure
from artifactsdk.errors import MissingDependencyError
from artifactsdk.runtimes.ort_session import open_session

GEMM_SIZE = 2048  # 2048^3 MACs: large enough that call overhead and caches do not matter


@dataclass(frozen=True)
class GemmPeak:
    precision: str  # "fp32" or "int8"
    op: str  # the ONNX op that was timed
    m: int
    n: int
    k: int
    threads: int
    latency: LatencyStats

    @property
    def gmacs_per_s(self) -> float:
        """MACs over the fastest call: the machine's capability, with interference
        from other processes on a shared CPU excluded as far as possible."""
        return self.m * self.n * self.k / (self.latency.min_ms / 1e3) / 1e9

    def to_dict(self) -> dict:
        return {**asdict(self), "latency": self.latency.to_dict(), "gmacs_per_s": self.gmacs_per_s}


def gemm_model(precision: str, size: int):
    """A one-node ONNX model multiplying an input [size, size] by a constant weight."""
    try:
        from onnx import TensorProto, helper, numpy_helper
    except ModuleNotFoundError as exc:
        raise MissingDependencyError("onnx", "bench", "Measuring the machine's GEMM peak") from exc
    rng = np.random.default_rng(0)
    if precision == "fp32":
        weight = numpy_helper.from_array(rng.standard_normal((size, size)).astype(np.float32), "W")
        node = helper.make_node("MatMul", ["A", "W"], ["Y"])
        a_type, y_type = TensorProto.FLOAT, TensorProto.FLOAT
        inits = [weight]
    else:
        # u8 activations x 7-bit s8 weights, what the cpu preset's int8 models multiply on x86:
        # exact on every kernel path (export/int8_exactness.py)
        weight = numpy_helper.from_array(rng.integers(-64, 65, (size, size), dtype=np.int8), "W")
        zero_a = numpy_helper.from_array(np.array(128, dtype=np.uint8), "a_zero")
        zero_w = numpy_helper.from_array(np.array(0, dtype=np.int8), "w_zero")
        node = helper.make_node("MatMulInteger", ["A", "W", "a_zero", "w_zero"], ["Y"])
        a_type, y_type = TensorProto.UINT8, TensorProto.INT32
        inits = [weight, zero_a, zero_w]
    graph = helper.make_graph(
        [node], f"gemm_{precision}",
        [helper.make_tensor_value_info("A", a_type, [size, size])],
        [helper.make_tensor_value_info("Y", y_type, [size, size])], initializer=inits)
    # IR version 8 (onnx 1.10+): readable by every onnxruntime the SDK supports
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), node.op_type


def measure_gemm_peak(precision: str, threads: int, size: int = GEMM_SIZE,
                      policy: RunPolicy = RunPolicy(warmup=3, runs=None, duration_s=1.0)) -> GemmPeak:
    """Time one [size x size] @ [size x size] GEMM in `precision` ("fp32" or "int8")."""
    model, op = gemm_model(precision, size)
    session = open_session(model.SerializeToString(), threads=threads)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((size, size)).astype(np.float32) if precision == "fp32" \
        else rng.integers(0, 256, (size, size), dtype=np.uint8)
    stats = measure(lambda: session.run(None, {"A": a}), policy)
    return GemmPeak(precision=precision, op=op, m=size, n=size, k=size, threads=threads, latency=stats)


def machine_peak(threads: int, size: int = GEMM_SIZE) -> dict[str, GemmPeak]:
    """fp32 and int8 GEMM peaks at `threads` threads."""
    return {precision: measure_gemm_peak(precision, threads, size) for precision in ("fp32", "int8")}
