"""Builds small but real bundles for the runtime tests: ONNX graphs made with
onnx.helper, an int8 variant made by ONNX Runtime's static quantizer, an fp16 variant
by its float16 converter, and a manifest written with artifactsdk.manifest.

The models detect "redness": a pixel is an artifact when it is strongly red, so tests
can paint red squares and know where the artifacts are and what their class is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from artifactsdk import __version__, taxonomy
from artifactsdk.manifest import file_entry, write_manifest
from artifactsdk.preprocess import InputSpec

SIZE = 32  # model input side
STRIDE = 4  # segmenter output = SIZE / STRIDE
RED_CLASS = "localized_blur"  # the class the tiny classifier names for red
# logit = 20 R - 10 G - 10 B - 8 on [0, 1] pixels: pure red -> 12, grey or white -> -8
REDNESS_WEIGHTS = np.array([20.0, -10.0, -10.0], dtype=np.float32).reshape(1, 3, 1, 1)
REDNESS_BIAS = np.array([-8.0], dtype=np.float32)
SPEC = InputSpec(height=SIZE, width=SIZE, mean=(0.0, 0.0, 0.0), std=(255.0, 255.0, 255.0))


def _redness_nodes(helper, numpy_helper):
    """pixels -> 4x4 average -> 1x1 conv: the per-cell redness logit, (N, 1, 8, 8)."""
    initializers = [numpy_helper.from_array(REDNESS_WEIGHTS, "redness_w"),
                    numpy_helper.from_array(REDNESS_BIAS, "redness_b")]
    nodes = [helper.make_node("AveragePool", ["pixels"], ["pooled"], kernel_shape=[STRIDE, STRIDE],
                              strides=[STRIDE, STRIDE]),
             helper.make_node("Conv", ["pooled", "redness_w", "redness_b"], ["redness"])]
    return nodes, initializers


def _save(graph, path: Path) -> None:
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="tiny_bundle")
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _pixels_input(helper, TensorProto):
    return helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", 3, SIZE, SIZE])


def segmenter_graph():
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers = _redness_nodes(helper, numpy_helper)
    nodes.append(helper.make_node("Identity", ["redness"], ["artifact_logits"]))
    output = helper.make_tensor_value_info("artifact_logits", TensorProto.FLOAT,
                                           ["N", 1, SIZE // STRIDE, SIZE // STRIDE])
    return helper.make_graph(nodes, "tiny_segmenter", [_pixels_input(helper, TensorProto)], [output], initializers)


def classifier_graph():
    """Max redness over the image -> the red class's logit and the image artifact logit;
    every other class gets a constant logit of -5."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers = _redness_nodes(helper, numpy_helper)
    red = taxonomy.BY_KEY[RED_CLASS].index
    class_w = np.zeros((1, taxonomy.NUM_CLASSES), dtype=np.float32)
    class_w[0, red] = 1.0
    class_b = np.full(taxonomy.NUM_CLASSES, -5.0, dtype=np.float32)
    class_b[red] = 0.0
    initializers += [numpy_helper.from_array(class_w, "class_w"), numpy_helper.from_array(class_b, "class_b"),
                     numpy_helper.from_array(np.ones((1, 1), np.float32), "image_w"),
                     numpy_helper.from_array(np.zeros(1, np.float32), "image_b")]
    nodes += [helper.make_node("GlobalMaxPool", ["redness"], ["peak"]),
              helper.make_node("Flatten", ["peak"], ["peak_flat"]),
              helper.make_node("Gemm", ["peak_flat", "class_w", "class_b"], ["class_logits"]),
              helper.make_node("Gemm", ["peak_flat", "image_w", "image_b"], ["artifact_logit"])]
    outputs = [helper.make_tensor_value_info("class_logits", TensorProto.FLOAT, ["N", taxonomy.NUM_CLASSES]),
               helper.make_tensor_value_info("artifact_logit", TensorProto.FLOAT, ["N", 1])]
    return helper.make_graph(nodes, "tiny_classifier", [_pixels_input(helper, TensorProto)], outputs, initializers)


def evidence_classifier_graph():
    """Like classifier_graph, but the image artifact logit is the *mean* redness and the
    redness map itself is the evidence map (artifact_map): as the default classifier, the
    image score is the mean of the map."""
    from onnx import TensorProto, helper

    graph = classifier_graph()
    nodes = [node for node in graph.node if node.output[0] != "artifact_logit"]
    nodes += [helper.make_node("GlobalAveragePool", ["redness"], ["mean_redness"]),
              helper.make_node("Flatten", ["mean_redness"], ["artifact_logit"]),
              helper.make_node("Identity", ["redness"], ["artifact_map"])]
    outputs = [*graph.output, helper.make_tensor_value_info("artifact_map", TensorProto.FLOAT,
                                                            ["N", 1, SIZE // STRIDE, SIZE // STRIDE])]
    initializers = [init for init in graph.initializer if init.name not in ("image_w", "image_b")]
    return helper.make_graph(nodes, "tiny_evidence_classifier", graph.input, outputs, initializers)


def red_square_image(size: int = 64, box=(8, 8, 24, 24), seed: int = 0) -> np.ndarray:
    """A grey, slightly noisy image with a pure red square at box = (x0, y0, x1, y1)."""
    rng = np.random.default_rng(seed)
    image = np.clip(128 + rng.normal(0, 10, (size, size, 3)), 0, 255).astype(np.uint8)
    x0, y0, x1, y1 = box
    image[y0:y1, x0:x1] = (255, 0, 0)
    return image


def write_red_square_images(folder: Path, count: int, side: int, name: str = "img{:02d}.png") -> Path:
    """`count` 64x64 PNGs in `folder` (made): every other one with a red square of `side`
    pixels (moving right with the index), the rest without."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        box = (4 + i, 6, 4 + side + i, 6 + side) if i % 2 == 0 else (0, 0, 0, 0)
        Image.fromarray(red_square_image(64, box, seed=i)).save(folder / name.format(i))
    return folder


def _calibration_reader(count: int = 16):
    from onnxruntime.quantization import CalibrationDataReader

    from artifactsdk.preprocess import to_tensor

    class Reader(CalibrationDataReader):
        def __init__(self):
            rng = np.random.default_rng(1)
            # Half clean images, so the quantised ranges cover negative logits too.
            boxes = [tuple(int(v) for v in (x, y, x + 12 * (i % 2), y + 12 * (i % 2)))
                     for i, (x, y) in enumerate(rng.integers(0, 20, (count, 2)))]
            self.feeds = iter([{"pixels": to_tensor(red_square_image(32, box, seed=i), SPEC)}
                               for i, box in enumerate(boxes)])

        def get_next(self):
            return next(self.feeds, None)

    return Reader()


def _write_variants(root: Path, name: str, graph, variants) -> dict:
    fp32 = root / f"{name}.fp32.onnx"
    _save(graph, fp32)
    files = {"fp32": file_entry(root, fp32.name, "onnx", "fp32", opset=17)}
    if "int8" in variants:
        from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

        quantize_static(str(fp32), str(root / f"{name}.int8.onnx"), _calibration_reader(),
                        quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8)
        files["int8"] = file_entry(root, f"{name}.int8.onnx", "onnx", "int8", opset=17)
    if "fp16" in variants:
        import onnx
        from onnxruntime.transformers.float16 import convert_float_to_float16

        half = convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True)
        onnx.save(half, str(root / f"{name}.fp16.onnx"))
        files["fp16"] = file_entry(root, f"{name}.fp16.onnx", "onnx", "fp16", opset=17)
    return files


def build_tiny_bundle(root: Path, roles=("segmenter", "classifier"), variants=("fp32", "int8"),
                      evidence: bool = False) -> Path:
    """Write a bundle with the given models and ONNX variants into `root`; return `root`.
    With `evidence` the classifier scores the mean redness and outputs its map."""
    root.mkdir(parents=True, exist_ok=True)
    models = {}
    if "segmenter" in roles:
        models["segmenter"] = {
            "task": "segmentation", "architecture": "tiny-redness",
            "input": SPEC.to_manifest(dynamic_hw=False, multiple_of=STRIDE),
            "outputs": [{"name": "artifact_logits", "semantics": "artifact_logit"}],
            "thresholds": {"pixel": 0.5},
            "files": _write_variants(root, "segmenter", segmenter_graph(), variants)}
    if "classifier" in roles:
        models["classifier"] = {
            "task": "classification", "architecture": "tiny-redness",
            "input": SPEC.to_manifest(dynamic_hw=False),
            "outputs": [{"name": "class_logits", "semantics": "class_logits"},
                        {"name": "artifact_logit", "semantics": "image_artifact_logit"},
                        *([{"name": "artifact_map", "semantics": "image_artifact_map"}] if evidence else [])],
            "labels": [{"index": c.index, "key": c.key, "name": c.name, "prompts": list(c.prompts),
                        "threshold": 0.5} for c in taxonomy.CLASSES],
            "thresholds": {"artifact": 0.5, "cascade": 0.3},
            "files": _write_variants(root, "classifier",
                                     evidence_classifier_graph() if evidence else classifier_graph(), variants)}
    write_manifest(root, {"format_version": 1, "name": "tiny", "version": "0", "sdk_version": __version__,
                          "created": "tests/runtime/tiny_bundle.py", "models": models})
    return root

