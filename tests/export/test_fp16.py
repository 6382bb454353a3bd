import numpy as np
import onnx
from onnx import TensorProto
from tiny_models import SPEC

from artifactsdk.calibration.reader import preprocess_batch
from artifactsdk.export.fp16 import convert_fp16
from artifactsdk.runtimes.onnxruntime_backend import onnx_file_backend


def test_fp16_keeps_float32_io_and_stays_close(fp32_segmenter, heldout, tmp_path):
    path = convert_fp16(fp32_segmenter[1], tmp_path / "segmenter.fp16.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)  # nodes in topological order
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT
    assert model.graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT
    weights = [i for i in model.graph.initializer if len(i.dims) == 4]
    assert weights and all(i.data_type == TensorProto.FLOAT16 for i in weights)
    fp32_weights = [i for i in onnx.load(str(fp32_segmenter[1])).graph.initializer if len(i.dims) == 4]
    assert sum(len(i.raw_data) for i in weights) * 2 == sum(len(i.raw_data) for i in fp32_weights)
    batch = preprocess_batch(heldout.images[:4], SPEC)
    expected = onnx_file_backend(fp32_segmenter[1]).run_batch(batch)["artifact_logits"]
    got = onnx_file_backend(path).run_batch(batch)["artifact_logits"]
    assert got.dtype == np.float32 and np.abs(got - expected).max() < 1e-2 * max(1.0, np.abs(expected).max())
