"""Sensitivity-guided mixed precision: which modules to keep in float when int8 fails the gate."""

import numpy as np
import onnx
import pytest
from tiny_models import SPEC

from artifactsdk.calibration.reader import ImageBatchReader, preprocess_batch
from artifactsdk.export.quantize import Int8Settings, Quantizer
from artifactsdk.export.sensitivity import module_groups, output_sqnr, search_float_groups


def test_nodes_are_grouped_by_the_module_that_made_them(fp32_segmenter):
    groups = module_groups(fp32_segmenter[1])
    assert {"/encoder/encoder.0", "/encoder/encoder.1"} <= set(groups)
    for prefix, names in groups.items():
        assert all(name.startswith(prefix) for name in names)


def test_sqnr_is_in_decibels():
    reference = [np.full(4, 2.0)]
    assert output_sqnr(reference, reference) > 300        # no noise: the float epsilon floor
    assert output_sqnr(reference, [np.full(4, 2.2)]) == pytest.approx(20.0)


def _weight_is_quantized(model, conv) -> bool:
    producers = {output: node for node in model.graph.node for output in node.output}
    return conv.input[1] in producers and producers[conv.input[1]].op_type == "DequantizeLinear"


def test_the_most_sensitive_modules_are_kept_float_until_the_check_passes(fp32_segmenter, calibration, tmp_path):
    feeds = [{SPEC.name: preprocess_batch([image], SPEC)} for image in calibration.images[:4]]
    tried = []

    def passes(path) -> bool:
        tried.append(onnx.load(str(path)))
        return len(tried) == 2  # the second candidate is good enough

    reader = ImageBatchReader(calibration.images, SPEC, 4)
    with Quantizer(fp32_segmenter[1], reader, Int8Settings(keep_float_heads=False)) as quantizer:
        search = search_float_groups(quantizer, tmp_path / "int8.onnx", feeds, passes, limit=3)
        groups = module_groups(quantizer.prepared)
    decibels = [db for _, db in search.ranking]
    assert decibels == sorted(decibels) and len(search.ranking) == len(groups)
    assert search.passed and search.kept_float == tuple(name for name, _ in search.ranking[:2])
    written = onnx.load(str(tmp_path / "int8.onnx"))
    convs = {node.name: node for node in written.graph.node if node.op_type == "Conv"}
    for name, _ in search.ranking:
        kept = name in search.kept_float
        for node in groups[name]:
            if node in convs:
                assert _weight_is_quantized(written, convs[node]) != kept, (name, node)
    assert search.to_dict()["float_search"]["kept_float_groups"] == list(search.kept_float)


def test_the_search_reports_failure_when_the_limit_is_reached(fp32_segmenter, calibration, tmp_path):
    feeds = [{SPEC.name: preprocess_batch([calibration.images[0]], SPEC)}]
    reader = ImageBatchReader(calibration.images, SPEC, 4)
    with Quantizer(fp32_segmenter[1], reader, Int8Settings()) as quantizer:
        search = search_float_groups(quantizer, tmp_path / "int8.onnx", feeds, lambda path: False, limit=1)
    assert not search.passed and len(search.kept_float) == 1
