"""Is an int8 model's integer arithmetic exact on every x86 kernel path of ONNX Runtime?

ONNX Runtime (MLAS) multiplies uint8 activations by int8 weights. With VNNI it accumulates
each product in int32: exact. Without VNNI (AVX2, AVX-512 without VNNI) it first adds
neighbouring products in pairs into int16 (vpmaddubsw), which saturates at 32767; int8
activations are shifted to uint8 first, so they reach 255 too. A pair sum is at most
255 x (|w1| + |w2|), so a model whose two largest |weights| of every dot product sum to at
most 32767 / 255 gives the same integers on every path, whatever the image: the check
below reads every integer weight of the written file and proves it, or names the worst
product. It needs no particular CPU, so the export checks the paths it does not run on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ACTIVATION_MAX = 255  # a uint8 activation, or an int8 one after MLAS's shift to uint8
INT16_MAX = 32767
PRODUCT_OPS = {"Conv", "ConvTranspose", "MatMul", "Gemm"}
# The x86 paths whose only rounding before int32 is the int16 pair sum (vpmaddubsw), and
# those that accumulate in int32 (VNNI): both are exact when the pair sums fit int16.
PAIR_SUM_PATHS = ("avx2", "avx512")
INT32_PATHS = ("vnni",)


def _dot_product_rows(op_type: str, weight: np.ndarray, node) -> np.ndarray:
    """The weights as one row per dot product (output channel or column)."""
    if op_type == "Conv":
        return weight.reshape(weight.shape[0], -1)
    if op_type == "ConvTranspose":  # [in, out / group, kh, kw]: each output sums over in and the kernel
        return np.moveaxis(weight, 1, 0).reshape(weight.shape[1], -1)
    transposed = op_type == "Gemm" and any(a.name == "transB" and a.i for a in node.attribute)
    matrix = weight.reshape(-1, weight.shape[-1]) if weight.ndim > 2 else weight
    return matrix if transposed else matrix.T


def integer_weights(model) -> dict[str, np.ndarray]:
    """Node name -> its int8 weights (one row per dot product), for every product whose
    activation and weight both come out of DequantizeLinear (ONNX Runtime runs those in integers)."""
    from onnx import TensorProto, numpy_helper

    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    producers = {output: node for node in graph.node for output in node.output}
    found = {}
    for node in graph.node:
        if node.op_type not in PRODUCT_OPS or len(node.input) < 2:
            continue
        dequantized = [producers.get(name) for name in node.input[:2]]
        if any(p is None or p.op_type != "DequantizeLinear" for p in dequantized):
            continue
        weight = initializers.get(dequantized[1].input[0])
        if weight is None or weight.data_type != TensorProto.INT8:
            continue
        found[node.name] = _dot_product_rows(node.op_type, numpy_helper.to_array(weight).astype(np.int32), node)
    return found


def worst_pair_sums(model) -> dict[str, int]:
    """Node name -> the largest |a1*w1 + a2*w2| any two of its products can reach."""
    worst = {}
    for name, rows in integer_weights(model).items():
        magnitudes = np.sort(np.abs(rows), axis=1)
        top_two = magnitudes[:, -2:].sum(axis=1) if magnitudes.shape[1] > 1 else magnitudes[:, -1]
        worst[name] = int(ACTIVATION_MAX * top_two.max())
    return worst


def exactness_record(model_path: str | Path) -> dict:
    """The manifest's account: the worst pair sum, and the x86 kernel paths that are exact."""
    import onnx

    worst = worst_pair_sums(onnx.load(str(model_path)))
    largest = max(worst.values(), default=0)
    saturating = sorted(name for name, value in worst.items() if value > INT16_MAX)
    exact = INT32_PATHS + (PAIR_SUM_PATHS if not saturating else ())
    return {"integer_products": len(worst), "worst_pair_sum": largest, "int16_max": INT16_MAX,
            "exact_kernel_paths": list(exact), "saturating_products": saturating[:10],
            "method": "every int8 weight of the file: 255 x the two largest |weights| of each dot product "
                      "against vpmaddubsw's int16 pair sum (AVX2, AVX-512 without VNNI); VNNI sums in int32"}
