"""fp32 ONNX -> fp16 ONNX for GPUs (on CPUs it is slower than fp32, so never the CPU default).

Inputs and outputs stay float32 (`keep_io_types`), so callers feed the same tensors as
for fp32; the converter ships with onnxruntime (`onnxruntime.transformers.float16`).
"""

from __future__ import annotations

from pathlib import Path

from artifactsdk.export.simplify import sort_topologically, strip_noise


def convert_fp16(fp32_path: str | Path, out_path: str | Path) -> Path:
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(fp32_path)), keep_io_types=True)
    sort_topologically(model.graph)
    strip_noise(model)
    onnx.checker.check_model(model)
    onnx.save_model(model, str(out_path))
    return Path(out_path)
