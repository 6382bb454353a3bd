"""fp32 ONNX -> int8 ONNX in QDQ form, by ONNX Runtime static quantization.

Ranges come from `artifactsdk.calibration.ranges` (ONNX Runtime's calibrators with
their real parameters) and reach `quantize_static` as its calibration cache.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from artifactsdk.bundle import ROLES
from artifactsdk.calibration.ranges import CalibrationMethodSettings, compute_ranges
from artifactsdk.errors import ExportError
from artifactsdk.export.float_nodes import float_module_nodes
from artifactsdk.export.simplify import strip_noise


@dataclass(frozen=True)
class QuantPreset:
    """Integer types for one kind of target."""

    name: str
    activations: str  # onnxruntime QuantType member name
    weights: str
    symmetric_activations: bool
    reduce_range: bool = False  # 7-bit weights (ONNX Runtime's reduce_range)


PRESETS: dict[str, QuantPreset] = {
    # uint8 activations and 7-bit int8 weights (reduce_range): the u8 x s8 products x86 VNNI
    # kernels run fast, made exact on every x86 kernel path. Without VNNI (AVX2, AVX-512 without
    # VNNI) ONNX Runtime adds pairs of u8 x s8 products into int16 (vpmaddubsw), which saturates
    # with 8-bit weights (255 x 127 x 2 > 32767) and never with 7-bit ones (255 x 64 x 2 <= 32767).
    # BENCHMARKS.md, "int8 that is exact on every x86 CPU", has the measurements.
    "cpu": QuantPreset("cpu", "QUInt8", "QInt8", False, reduce_range=True),
    # int8 symmetric activations and weights: what TensorRT's explicit quantization needs
    "tensorrt": QuantPreset("tensorrt", "QInt8", "QInt8", True),
}


@dataclass(frozen=True)
class Int8Settings:
    """Everything that decides the int8 model besides the fp32 graph and the images."""

    preset: str = "cpu"
    calibration: CalibrationMethodSettings = field(default_factory=CalibrationMethodSettings)
    per_channel: bool = True
    keep_float_op_types: tuple[str, ...] = ()
    keep_float_nodes: tuple[str, ...] = ()  # "ROLE:name" keeps a node or module of that model only
    # The output heads (output_head_nodes) stay float by default: in int8 they cost accuracy
    # (BENCHMARKS.md, "Defaults chosen by measurement") and they are ~nothing of the time:
    # a 64->1 1x1 conv and a 1-channel resize (segmenter), a 13-row matmul (classifier).
    keep_float_heads: bool = True
    # Op types whose outputs stay float (ONNX Runtime's OpTypesToExcludeOutputQuantization):
    # a transformer's MatMul then runs as MatMulIntegerToFloat instead of quantizing its output
    # only to dequantize it for the bias, LayerNorm or GELU that follows.
    float_output_op_types: tuple[str, ...] = ()
    # When int8 fails the accuracy gate, keep up to this many of the most sensitive modules
    # in float (artifactsdk.export.sensitivity); 0 fails the export instead.
    float_search: int = 4
    # ... and also while the int8 outputs' SQNR against fp32 (calibration images) is below this
    # (0 turns it off)
    min_sqnr_db: float = 28.0
    # ... and, for a classifier, while its label sets match fp32's on fewer than this share of the
    # held-out images; a classifier still below it after the search runs fp32 in the int8 pipeline
    # (0 turns it off)
    min_label_agreement: float = 0.95
    # ... and, when the export is given real images (--agreement-images), while the model's verdicts
    # (and a classifier's label sets) match fp32's on fewer than this share of them; a model still
    # below it after the search runs fp32 in the int8 pipeline
    min_real_agreement: float = 0.99
    batch_size: int = 4

    def __post_init__(self):
        if self.preset not in PRESETS:
            raise ExportError(f"unknown int8 preset {self.preset!r}; expected one of {', '.join(PRESETS)}.")

    def for_role(self, role: str) -> "Int8Settings":
        """These settings for one model of a bundle: the float nodes named for it ("classifier:/_blocks.3")
        or for every model (no "ROLE:"), so one `export all` can keep modules of each in float."""
        named = []
        for name in self.keep_float_nodes:
            owner, _, node = name.partition(":")
            if owner not in ROLES:  # a plain node name, even one with a colon
                named.append(name)
            elif owner == role:
                named.append(node)
        return replace(self, keep_float_nodes=tuple(named))

    def to_dict(self) -> dict:
        preset = PRESETS[self.preset]
        return {"format": "QDQ", "preset": preset.name, "activations": preset.activations,
                "weights": preset.weights, "symmetric_activations": preset.symmetric_activations,
                "reduce_range": preset.reduce_range,
                "per_channel": self.per_channel, "calibration": self.calibration.to_dict(),
                "keep_float_op_types": list(self.keep_float_op_types),
                "keep_float_nodes": list(self.keep_float_nodes), "keep_float_heads": self.keep_float_heads,
                "float_output_op_types": list(self.float_output_op_types),
                "float_search_limit": self.float_search, "min_sqnr_db": self.min_sqnr_db,
                "min_label_agreement": self.min_label_agreement, "min_real_agreement": self.min_real_agreement}


def quantizable_op_types(keep_float: tuple[str, ...] = ()) -> list[str]:
    """ONNX Runtime's QDQ-quantizable op types minus those kept in float, sorted (reproducible)."""
    from onnxruntime.quantization.registry import QDQRegistry, QLinearOpsRegistry

    return sorted((set(QDQRegistry) | set(QLinearOpsRegistry)) - set(keep_float))


HEAD_OPS = {"Conv", "ConvTranspose", "Gemm", "MatMul"}


def output_head_nodes(model_path: str | Path) -> tuple[str, ...]:
    """Names of the nodes on the float path between each graph output and the last Conv /
    Gemm / MatMul before it (that op included): the ops that produce the logits themselves."""
    import onnx

    model = onnx.shape_inference.infer_shapes(onnx.load(str(model_path), load_external_data=False))
    graph = model.graph
    floats = {value.name for value in [*graph.value_info, *graph.output, *graph.input]
              if value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT}
    producers = {output: node for node in graph.node for output in node.output}
    head, pending = [], [output.name for output in graph.output]
    while pending:
        node = producers.get(pending.pop())
        if node is None or node.name in head:
            continue
        head.append(node.name)
        if node.op_type not in HEAD_OPS:
            pending.extend(name for name in node.input if name in producers and name in floats)
    return tuple(sorted(head))


def named_nodes(model_path: Path, names: tuple[str, ...]) -> tuple[str, ...]:
    """The nodes `names` stand for: a node's own name, or a module's (``/_blocks.3``, as the
    float search and the manifest name them), which stands for every node under it."""
    import onnx

    present = [node.name for node in onnx.load(str(model_path), load_external_data=False).graph.node]
    nodes, missing = [], []
    for name in names:
        matched = [node for node in present if node == name or node.startswith(name.rstrip("/") + "/")]
        nodes.extend(matched)
        if not matched:
            missing.append(name)
    if missing:
        raise ExportError(f"nodes to keep in float {missing} are not in {model_path.name} (neither a node nor "
                          f"a module); the graph's nodes are named like {sorted(present)[:5]}.")
    return tuple(nodes)


class Quantizer:
    """Calibrate once, then write int8 models with different float-kept nodes quickly
    (the sensitivity search writes many). Use as a context manager: it owns a scratch folder."""

    def __init__(self, fp32_path: str | Path, reader, settings: Int8Settings):
        from onnxruntime.quantization.calibrate import save_tensors_data
        from onnxruntime.quantization.shape_inference import quant_pre_process

        self.settings = settings
        self.op_types = quantizable_op_types(settings.keep_float_op_types)
        self._work = tempfile.TemporaryDirectory(prefix="artifactsdk-int8-")
        self.prepared = Path(self._work.name) / "prepared.onnx"
        # On graphs onnxslim already simplified this changes no node; it stays for the mark
        # quantize_static looks for and for graphs that arrive unsimplified.
        quant_pre_process(str(fp32_path), str(self.prepared), skip_symbolic_shape=True)
        self.kept_float = named_nodes(self.prepared, settings.keep_float_nodes)
        self.heads = (output_head_nodes(self.prepared) if settings.keep_float_heads else ()) \
            + float_module_nodes(self.prepared)
        preset = PRESETS[settings.preset]
        ranges = compute_ranges(self.prepared, reader, len(reader), settings.calibration,
                                symmetric=preset.symmetric_activations, op_types=self.op_types)
        self.cache = Path(self._work.name) / "ranges.json"
        save_tensors_data(ranges, self.cache)

    def write(self, out_path: str | Path, extra_float_nodes=()) -> Path:
        """The int8 model with the settings' float nodes, the heads and `extra_float_nodes` in float."""
        import onnx
        from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

        preset = PRESETS[self.settings.preset]
        excluded = sorted({*self.kept_float, *self.heads, *extra_float_nodes})
        quantize_static(
            str(self.prepared), str(out_path), calibration_data_reader=None, quant_format=QuantFormat.QDQ,
            op_types_to_quantize=self.op_types, per_channel=self.settings.per_channel,
            reduce_range=preset.reduce_range,
            activation_type=QuantType[preset.activations], weight_type=QuantType[preset.weights],
            nodes_to_exclude=excluded, calibrate_method=self.settings.calibration.ort_method,
            calibration_cache_path=str(self.cache),
            extra_options={"ActivationSymmetric": preset.symmetric_activations, "WeightSymmetric": True,
                           "OpTypesToExcludeOutputQuantization": list(self.settings.float_output_op_types)})
        model = onnx.load(str(out_path))
        strip_noise(model)
        onnx.save_model(model, str(out_path))
        return Path(out_path)

    def close(self) -> None:
        self._work.cleanup()

    def __enter__(self) -> "Quantizer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

