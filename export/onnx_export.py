"""torch -> ONNX with fixed input/output names and dynamic axes.

Opset 17 by default: the newest opset that TensorRT 8.6 (still the JetPack 5 version
on Jetson boards) parses, new enough for per-channel QDQ (13) and a native
LayerNormalization (17), and supported by every ONNX Runtime >= 1.13. The exporter is
torch's TorchScript-based one (`dynamo=False`): it emits opset 17 directly (the dynamo
exporter starts at 18 and converts down), takes well under a second for these models
against ~10 s, and gives the same graph for the same weights.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from artifactsdk.errors import ExportError
from artifactsdk.training.outputs import TASK_OUTPUTS
from artifactsdk.preprocess import InputSpec

DEFAULT_OPSET = 17
MIN_OPSET = 13  # per-channel QuantizeLinear / DequantizeLinear


def output_names(task: str, count: int | None = None) -> list[str]:
    """The graph output names of a `task` model that returns `count` outputs (all by default)."""
    return [output.name for output in TASK_OUTPUTS[task]][:count]


def spatially_dynamic(task: str, input_entry: dict) -> bool:
    """A segmenter takes any height and width unless its config's input says `dynamic_hw:
    false` (a foreign model traced at one size, e.g. a TorchScript file)."""
    return bool(input_entry.get("dynamic_hw", task == "segmentation"))


def dynamic_axes(task: str, input_name: str, dynamic_hw: bool | None = None,
                 outputs: int | None = None) -> dict[str, dict[int, str]]:
    """Batch is dynamic everywhere; a segmenter also takes any height and width (unless `dynamic_hw` is False)."""
    spatial = {2: "height", 3: "width"} if task == "segmentation" and dynamic_hw is not False else {}
    axes = {input_name: {0: "batch", **spatial}}
    for name in output_names(task, outputs):
        axes[name] = {0: "batch", **spatial}
    return axes


def export_onnx(model, task: str, spec: InputSpec, path: str | Path, opset: int = DEFAULT_OPSET,
                dynamic_hw: bool | None = None) -> Path:
    """Write the fp32 eval-mode `model` as one self-contained ONNX file at `path`."""
    import torch

    if opset < MIN_OPSET:
        raise ExportError(f"opset {opset} is too old: int8 needs per-channel QDQ, opset {MIN_OPSET} or newer "
                          f"(the default is {DEFAULT_OPSET}). Pass --opset {DEFAULT_OPSET}.")
    path = Path(path)
    example = torch.zeros(2, 3, spec.height, spec.width)  # batch 2: no batch-1 specialisation
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        outputs = model(example)
        outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
        names = output_names(task, len(outputs))
        axes = dynamic_axes(task, spec.name, dynamic_hw, len(outputs))
        torch.onnx.export(model, (example,), str(path), input_names=[spec.name],
                          output_names=names, dynamic_axes=axes,
                          opset_version=opset, do_constant_folding=True, export_params=True,
                          dynamo=False)
    _declare_output_shapes(path, {name: tuple(out.shape) for name, out in zip(names, outputs)}, axes)
    return path


def _declare_output_shapes(path: Path, shapes: dict[str, tuple[int, ...]], axes: dict) -> None:
    """Give every output dim that is not dynamic its fixed size (the exporter leaves some
    as generated names such as 'Resizeartifact_logits_dim_1')."""
    import onnx

    model = onnx.load(str(path))
    for output in model.graph.output:
        for index, dim in enumerate(output.type.tensor_type.shape.dim):
            if index in axes[output.name]:
                dim.dim_param = axes[output.name][index]
            else:
                dim.dim_value = shapes[output.name][index]
    onnx.save_model(model, str(path))
