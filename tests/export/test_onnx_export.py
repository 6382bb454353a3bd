import hashlib

import numpy as np
import onnx
import pytest
import tiny_models
from tiny_models import SPEC

from artifactsdk.errors import ExportError
from artifactsdk.export.onnx_export import DEFAULT_OPSET, export_onnx
from artifactsdk.runtimes.onnxruntime_backend import onnx_file_backend
from artifactsdk.export.simplify import simplify_onnx


def _dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_segmenter_graph_has_fixed_names_dynamic_axes_and_opset(fp32_segmenter):
    _, path = fp32_segmenter
    model = onnx.load(str(path))
    assert [i.name for i in model.graph.input] == ["pixels"]
    assert [o.name for o in model.graph.output] == ["artifact_logits"]
    assert _dims(model.graph.input[0]) == ["batch", 3, "height", "width"]
    assert _dims(model.graph.output[0]) == ["batch", 1, "height", "width"]
    assert {o.domain: o.version for o in model.opset_import}[""] == DEFAULT_OPSET == 17
    outputs = onnx_file_backend(path).run_batch(np.zeros((3, 3, 96, 128), np.float32))
    assert outputs["artifact_logits"].shape == (3, 1, 96, 128)


def test_simplified_graph_is_self_contained_and_folded(fp32_segmenter):
    _, path = fp32_segmenter
    model = onnx.load(str(path))
    ops = {node.op_type for node in model.graph.node}
    assert "BatchNormalization" not in ops and "Identity" not in ops
    assert not any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)
    assert model.producer_name == "artifactsdk" and not any(n.doc_string for n in model.graph.node)


def test_classifier_takes_only_pixels_and_has_text_embeddings_as_constants(tmp_path):
    model = tiny_models.randomized(tiny_models.TinyClassifier)
    path = simplify_onnx(export_onnx(model, "classification", SPEC, tmp_path / "raw.onnx"), tmp_path / "c.onnx")
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == ["pixels"]
    assert [o.name for o in graph.output] == ["class_logits", "artifact_logit"]
    assert _dims(graph.input[0]) == ["batch", 3, 64, 64]
    assert _dims(graph.output[0]) == ["batch", 13] and _dims(graph.output[1]) == ["batch", 1]
    outputs = onnx_file_backend(path).run_batch(np.zeros((5, 3, 64, 64), np.float32))
    assert outputs["class_logits"].shape == (5, 13)


def test_same_weights_export_to_the_same_bytes(tmp_path):
    digests = []
    for run in range(2):
        model = tiny_models.randomized(tiny_models.TinySegmenter, seed=3)
        raw = export_onnx(model, "segmentation", SPEC, tmp_path / f"raw{run}.onnx")
        digests.append(hashlib.sha256(simplify_onnx(raw, tmp_path / f"s{run}.onnx").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_too_old_opset_is_refused(tmp_path):
    with pytest.raises(ExportError, match="opset 11"):
        export_onnx(tiny_models.TinySegmenter().eval(), "segmentation", SPEC, tmp_path / "x.onnx", opset=11)
