import hashlib

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from tiny_models import SPEC

from artifactsdk.calibration.ranges import CalibrationMethodSettings
from artifactsdk.calibration.reader import ImageBatchReader, preprocess_batch
from artifactsdk.errors import ExportError
from artifactsdk.runtimes.onnxruntime_backend import onnx_file_backend
from artifactsdk.export.quantize import Int8Settings, Quantizer, output_head_nodes


def _quantize(fp32, images, out, **settings):
    with Quantizer(fp32, ImageBatchReader(images.images, SPEC, 4), Int8Settings(**settings)) as quantizer:
        return quantizer.write(out)


def _zero_points(path):
    """(dtypes of the activation zero points, dtypes of the Conv weights, the Conv weight
    scales' shapes, initializers, model)."""
    model = onnx.load(str(path))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}
    activation = {inits[n.input[2]].dtype for n in model.graph.node if n.op_type == "QuantizeLinear"}
    weight_dq = [producers[n.input[1]] for n in model.graph.node
                 if n.op_type == "Conv" and n.input[1] in producers]
    weights = {inits[n.input[0]].dtype for n in weight_dq}
    return activation, weights, [inits[n.input[1]].shape for n in weight_dq], inits, model


def test_cpu_preset_is_qdq_with_uint8_activations_and_int8_weights(fp32_segmenter, calibration, tmp_path):
    path = _quantize(fp32_segmenter[1], calibration, tmp_path / "q.onnx", preset="cpu")
    activation, weights, _, _, model = _zero_points(path)
    assert activation == {np.dtype("uint8")} and weights == {np.dtype("int8")}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= {n.op_type for n in model.graph.node}


def test_tensorrt_preset_is_symmetric_int8(fp32_segmenter, calibration, tmp_path):
    path = _quantize(fp32_segmenter[1], calibration, tmp_path / "q.onnx", preset="tensorrt")
    activation, weights, _, inits, model = _zero_points(path)
    assert activation == {np.dtype("int8")} and weights == {np.dtype("int8")}
    zero_points = [inits[n.input[2]] for n in model.graph.node if n.op_type == "QuantizeLinear"]
    assert all(np.all(z == 0) for z in zero_points)


def test_per_channel_gives_one_weight_scale_per_output_channel(fp32_segmenter, calibration, tmp_path):
    per_channel = _zero_points(_quantize(fp32_segmenter[1], calibration, tmp_path / "a.onnx", per_channel=True))[2]
    per_tensor = _zero_points(_quantize(fp32_segmenter[1], calibration, tmp_path / "b.onnx", per_channel=False))[2]
    assert (8,) in per_channel and all(shape == () for shape in per_tensor)


def test_same_inputs_give_a_byte_identical_int8_model(fp32_segmenter, calibration, tmp_path):
    digests = {hashlib.sha256(_quantize(fp32_segmenter[1], calibration, tmp_path / f"{i}.onnx",
                                        calibration=CalibrationMethodSettings("entropy")).read_bytes()
                              ).hexdigest() for i in range(2)}
    assert len(digests) == 1


def test_int8_stays_close_to_fp32(fp32_segmenter, calibration, heldout, tmp_path):
    path = _quantize(fp32_segmenter[1], calibration, tmp_path / "q.onnx")
    batch = preprocess_batch(heldout.images, SPEC)
    expected = onnx_file_backend(fp32_segmenter[1]).run_batch(batch)["artifact_logits"]
    got = onnx_file_backend(path).run_batch(batch)["artifact_logits"]
    # a random 3-layer net: a few 8-bit steps of error each, far below the output's spread
    assert np.abs(got - expected).max() < 0.1 * (expected.max() - expected.min())
    assert np.abs(got - expected).mean() < 0.02 * (expected.max() - expected.min())


def test_kept_op_types_and_nodes_stay_float(fp32_segmenter, calibration, tmp_path):
    def float_convs(path):
        model = onnx.load(str(path))
        weights = {i.name for i in model.graph.initializer}
        return [n.name for n in model.graph.node if n.op_type == "Conv" and n.input[1] in weights]

    all_int8 = _quantize(fp32_segmenter[1], calibration, tmp_path / "all.onnx", keep_float_heads=False)
    assert float_convs(all_int8) == []
    head = float_convs(fp32_segmenter[1])[-1]
    kept = _quantize(fp32_segmenter[1], calibration, tmp_path / "q.onnx", keep_float_nodes=(head,),
                     keep_float_heads=False)
    assert float_convs(kept) == [head]
    no_conv = _quantize(fp32_segmenter[1], calibration, tmp_path / "r.onnx", keep_float_op_types=("Conv",))
    assert float_convs(no_conv) == float_convs(fp32_segmenter[1])


def test_a_kept_module_keeps_every_node_under_it_float(fp32_segmenter, calibration, tmp_path):
    kept = onnx.load(str(_quantize(fp32_segmenter[1], calibration, tmp_path / "q.onnx",
                                   keep_float_nodes=("/encoder/encoder.1",), keep_float_heads=False)))
    weights = {i.name for i in kept.graph.initializer}
    float_convs = [n.name for n in kept.graph.node if n.op_type == "Conv" and n.input[1] in weights]
    assert float_convs == ["/encoder/encoder.1/encoder.1.0/Conv"]  # not /encoder/encoder.0, not /head


def test_output_heads_are_the_logit_ops_and_can_stay_float(fp32_segmenter, calibration, tmp_path):
    model = onnx.load(str(fp32_segmenter[1]))
    kinds = {n.name: n.op_type for n in model.graph.node}
    heads = output_head_nodes(fp32_segmenter[1])
    assert sorted(kinds[name] for name in heads) == ["Conv", "Resize"]  # head conv, then the upsampling
    path = _quantize(fp32_segmenter[1], calibration, tmp_path / "q.onnx")  # float heads: the default
    quantized = onnx.load(str(path))
    producers = {o: n.op_type for n in quantized.graph.node for o in n.output}
    assert producers["artifact_logits"] == "Resize"  # no DequantizeLinear on the logits
    head_conv = next(n for n in quantized.graph.node if n.name in heads and n.op_type == "Conv")
    assert head_conv.input[1] in {i.name for i in quantized.graph.initializer}  # float weight


def test_unknown_node_to_keep_is_an_error(fp32_segmenter, calibration, tmp_path):
    with pytest.raises(ExportError, match="not_a_node"):
        _quantize(fp32_segmenter[1], calibration, tmp_path / "q.onnx", keep_float_nodes=("not_a_node",))


def test_unknown_preset_is_an_error():
    with pytest.raises(ExportError, match="gpu"):
        Int8Settings(preset="gpu")


def test_role_qualified_float_nodes_reach_only_their_model():
    settings = Int8Settings(keep_float_nodes=("classifier:/_blocks.3", "segmenter:/decoder", "/head/Conv", "odd::name"))
    assert settings.for_role("classifier").keep_float_nodes == ("/_blocks.3", "/head/Conv", "odd::name")
    assert settings.for_role("segmenter").keep_float_nodes == ("/decoder", "/head/Conv", "odd::name")
