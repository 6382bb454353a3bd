"""Multiply-accumulate count of an ONNX graph, from its shapes.

Counts the ops that do nearly all the arithmetic of a CNN or transformer: Conv,
ConvTranspose, Gemm and MatMul, with their integer and quantized forms
(ConvInteger, QLinearConv, MatMulInteger, QLinearMatMul, com.microsoft QGemm /
FusedConv / FusedMatMul). A QDQ graph keeps plain Conv / MatMul nodes whose weight
comes through DequantizeLinear, so it counts the same as its fp32 source. Shapes come
from ONNX shape inference after the graph inputs are pinned to a concrete shape.
Element-wise ops, pooling and resizing are left out (a few per cent at most).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from artifactsdk.errors import InvalidInputError, MissingDependencyError

# op type -> index of the weight input (the data input is always 0); the QLinear
# forms put scale and zero point between them.
_CONV_OPS = {"Conv": 1, "ConvInteger": 1, "QLinearConv": 3, "FusedConv": 1}
_GEMM_OPS = {"Gemm": 1, "QGemm": 3}
_MATMUL_OPS = frozenset({"MatMul", "MatMulInteger", "QLinearMatMul", "FusedMatMul", "MatMulIntegerToFloat"})


@dataclass(frozen=True)
class MacCount:
    """MACs of one forward pass at `input_shapes` (batch included)."""

    total: int
    by_op: dict[str, int]
    input_shapes: dict[str, list[int]]
    # MAC ops whose shapes inference could not resolve (their MACs are missing).
    uncounted: list[str] = field(default_factory=list)

    @property
    def gmacs(self) -> float:
        return self.total / 1e9

    def to_dict(self) -> dict:
        return {**asdict(self), "gmacs": self.gmacs}


def _import_onnx():
    try:
        import onnx
        import onnx.shape_inference
    except ModuleNotFoundError as exc:
        raise MissingDependencyError("onnx", "bench", "Counting multiply-accumulates") from exc
    return onnx


def _pin_inputs(model, input_shapes: dict[str, list[int]] | None) -> dict[str, list[int]]:
    """Replace symbolic input dims by concrete ones (given; a symbolic batch alone
    defaults to 1); return the shapes."""
    initializers = {init.name for init in model.graph.initializer}
    pinned = {}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        dims = value.type.tensor_type.shape.dim
        wanted = (input_shapes or {}).get(value.name)
        if wanted is not None and len(wanted) != len(dims):
            raise InvalidInputError(
                f"input '{value.name}' has rank {len(dims)}, the shape given has rank "
                f"{len(wanted)} ({wanted}). Give a shape such as 1x3x512x512 with one value per dim.")
        symbolic = [dim.dim_param or "?" for dim in list(dims)[1:] if dim.dim_value <= 0]
        if wanted is None and symbolic:
            raise InvalidInputError(
                f"input '{value.name}' has symbolic dims {symbolic}, so its MACs depend on the size; "
                f"pass input_shapes={{'{value.name}': [1, 3, 512, 512]}} (or --input-shape).")
        concrete = []
        for i, dim in enumerate(dims):
            size = wanted[i] if wanted is not None else (dim.dim_value if dim.dim_value > 0 else 1)
            dim.ClearField("dim_param")
            dim.dim_value = size
            concrete.append(size)
        pinned[value.name] = concrete
    return pinned


def _shape_table(model) -> dict[str, list[int | None]]:
    """Tensor name -> shape (None for unknown dims) for every tensor with a known rank."""
    graph = model.graph
    table: dict[str, list[int | None]] = {init.name: list(init.dims) for init in graph.initializer}
    for value in [*graph.input, *graph.value_info, *graph.output]:
        tensor_type = value.type.tensor_type
        if tensor_type.HasField("shape"):
            table[value.name] = [d.dim_value if d.dim_value > 0 else None for d in tensor_type.shape.dim]
    for node in graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    table[node.output[0]] = list(attr.t.dims)
    return table


def _known(shape: list[int | None] | None) -> bool:
    return shape is not None and all(d is not None for d in shape)


def _node_macs(node, shapes: dict[str, list[int | None]]) -> int | None:
    """MACs of one node, 0 when it is not a MAC op, None when its shapes are unknown."""
    op = node.op_type

    def shape(index: int):
        return shapes.get(node.input[index]) if index < len(node.input) else None

    if op in _CONV_OPS:
        weight = shape(_CONV_OPS[op])
        output = shapes.get(node.output[0])
        if not (_known(weight) and _known(output)):
            return None
        # every output element sums over (C_in / groups) x kernel taps
        return math.prod(output) * math.prod(weight[1:])
    if op == "ConvTranspose":
        data, weight = shape(0), shape(1)
        if not (_known(data) and _known(weight)):
            return None
        # every input element scatters into (C_out / groups) x kernel taps
        return math.prod(data) * math.prod(weight[1:])
    if op in _MATMUL_OPS:
        a, output = shape(0), shapes.get(node.output[0])
        if not (_known(a) and _known(output)):
            return None
        # every output element is a dot product over A's last axis (K)
        return math.prod(output) * a[-1]
    if op in _GEMM_OPS:
        a, b = shape(0), shape(_GEMM_OPS[op])
        if not (_known(a) and _known(b)):
            return None
        attrs = {attr.name: attr.i for attr in node.attribute}
        m, k = (a[1], a[0]) if attrs.get("transA", 0) else (a[0], a[1])
        n = b[0] if attrs.get("transB", 0) else b[1]
        return m * n * k
    return 0


def _label(node, shapes: dict[str, list[int | None]]) -> str:
    """The op type, with depthwise convolutions apart: one input channel per group gives
    them few MACs per byte moved, so they run far below the GEMM peak."""
    if node.op_type in _CONV_OPS:
        index = _CONV_OPS[node.op_type]
        weight = shapes.get(node.input[index]) if index < len(node.input) else None
        if weight is not None and len(weight) > 2 and weight[1] == 1 and math.prod(weight[2:]) > 1:
            return f"{node.op_type} (depthwise)"
    return node.op_type


def count_macs(path_or_model, input_shapes: dict[str, list[int]] | None = None) -> MacCount:
    """Count the MACs of the ONNX model at `path_or_model` (a path or a ModelProto).

    `input_shapes` maps input names to concrete shapes; an input not given may have a
    symbolic batch (counted as 1) but no other symbolic dim.
    """
    onnx = _import_onnx()
    if isinstance(path_or_model, (str, Path)):
        model = onnx.load(str(path_or_model))
    else:
        model = onnx.ModelProto()
        model.CopyFrom(path_or_model)
    pinned = _pin_inputs(model, input_shapes)
    model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    shapes = _shape_table(model)
    by_op: dict[str, int] = {}
    uncounted = []
    for node in model.graph.node:
        macs = _node_macs(node, shapes)
        if macs is None:
            uncounted.append(f"{node.op_type}:{node.name}")
        elif macs:
            label = _label(node, shapes)
            by_op[label] = by_op.get(label, 0) + macs
    return MacCount(total=sum(by_op.values()), by_op=by_op, input_shapes=pinned, uncounted=uncounted)
