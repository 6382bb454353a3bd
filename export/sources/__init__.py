"""Models from outside the SDK (Hugging Face directories, TorchScript files) as exporter input.

Every source returns a `SourceModel`: an fp32 eval-mode torch module that maps pixels
(N x 3 x H x W, normalised per `config["input"]`) to the bundle's outputs for its task
(`artifact_logits` for a segmenter; `class_logits` and `artifact_logit` for a
classifier), and a config shaped like a native checkpoint's. The exporter then treats
it exactly as a native model: the same ONNX export (unless the source writes its own
graph, as the Hugging Face segmenter does through optimum), validation against the
module, int8 calibration and the accuracy gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from artifactsdk.thresholds import untuned


@dataclass(frozen=True)
class SourceModel:
    module: Any  # torch.nn.Module; typed loosely so this file never imports torch
    config: dict
    #: writes the fp32 ONNX itself: (path, opset) -> path; None = the exporter's torch.onnx export
    write_onnx: Callable[[Path, int], Path] | None = None
    #: op types int8 quantizes unless the user says otherwise; None = every op ONNX Runtime can
    int8_op_types: tuple[str, ...] | None = None
    #: op types whose int8 outputs stay float (see Int8Settings.float_output_op_types)
    int8_float_outputs: tuple[str, ...] = ()

    @property
    def task(self) -> str:
        return self.config["task"]

    def to_dict(self) -> dict:
        return {"config": self.config, "writes_own_onnx": self.write_onnx is not None,
                "int8_op_types": list(self.int8_op_types) if self.int8_op_types else None,
                "int8_float_outputs": list(self.int8_float_outputs)}


# Transformers: the multiply-accumulates sit in MatMul (and the patch-embedding Conv);
# quantizing LayerNorm, Softmax, GELU and residual Adds costs accuracy and Q/DQ passes.
TRANSFORMER_INT8_OPS = ("MatMul", "Conv", "Gemm")
# ... and a MatMul's output feeds those float ops, so it stays float: on SegFormer MiT-B5 at
# 512 this cut int8 latency by 8-11 % (three paired runs) and the output error by a quarter.
TRANSFORMER_FLOAT_OUTPUTS = ("MatMul",)


def segmenter_config(architecture: str, input_entry: dict, source: dict) -> dict:
    """A segmenter config shaped like a native checkpoint's (PAL's binary labels)."""
    return {"task": "segmentation", "architecture": architecture, "input": input_entry,
            "labels": [{"index": 0, "key": "clean", "name": "clean"},
                       {"index": 1, "key": "artifact", "name": "artifact"}],
            "trained_classes": ["artifact"], "thresholds": untuned(("pixel", "image")), "source": source}
