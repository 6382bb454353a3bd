"""A Hugging Face semantic-segmentation directory (SegFormer, and the other architectures
optimum exports for the task) as the bundle's segmenter.

The graph comes from optimum's ONNX exporter (task `semantic-segmentation`); the SDK
then appends the artifact head in ONNX (the chosen channel, or the two-class
difference, upsampled from the model's output resolution, 1/4 for SegFormer, to the
input's) and renames the input. The torch reference used by validation is the same
model with the same head in torch (artifact_head.py).
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from artifactsdk.errors import ExportError, MissingDependencyError
from artifactsdk.export.onnx_export import output_names
from artifactsdk.export.sources import TRANSFORMER_FLOAT_OUTPUTS, TRANSFORMER_INT8_OPS, SourceModel, segmenter_config
from artifactsdk.export.sources.hf_preprocessing import input_spec_from_processor
from artifactsdk.preprocess import InputSpec

HF_OUTPUTS = ("sigmoid", "softmax")
IMAGENET_MEAN_01 = (0.485, 0.456, 0.406)
IMAGENET_STD_01 = (0.229, 0.224, 0.225)
DEFAULT_SIZE = (512, 512)
OUTPUT_NAME = output_names("segmentation")[0]  # the exporter's segmenter output


def _hf_logits(source, pixels):
    return source(pixel_values=pixels).logits


def load_hf_segmenter(directory: str | Path, output: str = "sigmoid", artifact_class: int = 1,
                      size: tuple[int, int] | None = None) -> SourceModel:
    """SourceModel for the segmentation model saved in `directory` (config.json + weights).

    `output`: `sigmoid` for one artifact channel (DiffDoctor's detector), `softmax` for
    two classes (clean, artifact); `artifact_class` is the artifact channel."""
    # imports torch: only when this runs
    from artifactsdk.export.sources.artifact_head import SOURCE_SEMANTICS, ArtifactLogitModel, check_channels

    import torch

    try:
        from transformers import AutoConfig, AutoModelForSemanticSegmentation
    except ImportError as exc:
        raise MissingDependencyError("transformers", "export", "Exporting a Hugging Face model") from exc
    if output not in HF_OUTPUTS:
        raise ExportError(f"--hf-output must be one of {HF_OUTPUTS}, got {output!r}.")
    directory = Path(directory)
    if not (directory / "config.json").is_file():
        raise ExportError(f"{directory} is not a Hugging Face model directory: it has no config.json "
                          "(save one with model.save_pretrained(DIR)).")
    hf_config = AutoConfig.from_pretrained(directory)
    check_channels(hf_config.num_labels, output, artifact_class, f"the model in {directory}")
    model = AutoModelForSemanticSegmentation.from_pretrained(directory).eval()
    spec = input_spec_from_processor(directory, DEFAULT_SIZE, IMAGENET_MEAN_01, IMAGENET_STD_01, size)
    channel = artifact_class if hf_config.num_labels > 1 else 0
    with torch.no_grad():  # SegFormer predicts at 1/4 of the input; the head upsamples, the record says so
        predicted = model(pixel_values=torch.zeros(1, 3, spec.height, spec.width)).logits.shape[-2:]
    source = {"kind": "huggingface-segmentation", "name": directory.name, "model_type": hf_config.model_type,
              "exporter": "optimum", "output": output, "artifact_channel": channel,
              "source_semantics": SOURCE_SEMANTICS[output], "num_labels": hf_config.num_labels,
              "source_output_size": list(predicted), "upsampled_to": [spec.height, spec.width]}
    config = segmenter_config(f"hf:{hf_config.model_type}", spec.to_manifest(dynamic_hw=True), source)
    module = ArtifactLogitModel(model, output, channel, _hf_logits).eval()
    return SourceModel(module, config, write_onnx=partial(_write_onnx, directory, output, channel, spec),
                       int8_op_types=TRANSFORMER_INT8_OPS,
                       int8_float_outputs=TRANSFORMER_FLOAT_OUTPUTS)


def _write_onnx(directory: Path, output: str, channel: int, spec: InputSpec, path: Path, opset: int) -> Path:
    """optimum's ONNX export of the directory, plus the artifact head, written to `path`."""
    import onnx

    try:
        from optimum.exporters.onnx import main_export
    except ImportError as exc:
        raise MissingDependencyError("optimum", "export", "Exporting a Hugging Face model") from exc
    with tempfile.TemporaryDirectory() as work:
        main_export(str(directory), output=work, task="semantic-segmentation", opset=opset,
                    do_validation=False, device="cpu")
        model = onnx.load(str(Path(work) / "model.onnx"))  # one file: small models keep weights inline
    append_artifact_head(model, output, channel, spec.name)
    onnx.save_model(model, str(path))
    return Path(path)


def append_artifact_head(model, output: str, channel: int, input_name: str) -> None:
    """In place: `pixel_values` -> `input_name`; `logits` -> the artifact logit at input size,
    the ONNX twin of artifact_head.to_artifact_logit + bilinear upsampling."""
    from onnx import TensorProto, helper

    graph = model.graph
    (source_input,) = [i for i in graph.input if i.name not in {t.name for t in graph.initializer}]
    old_input = source_input.name
    for node in graph.node:
        node.input[:] = [input_name if name == old_input else name for name in node.input]
    source_input.name = input_name
    (logits,) = [o for o in graph.output if o.name == "logits"] or [None]
    if logits is None:
        raise ExportError(f"optimum's graph has outputs {[o.name for o in graph.output]}, not 'logits'.")
    graph.output.remove(logits)

    def const(name, values):
        graph.initializer.append(helper.make_tensor(name, TensorProto.INT64, [len(values)], values))
        return name

    nodes = [helper.make_node("Slice", ["logits", const("head_c0", [channel]), const("head_c1", [channel + 1]),
                                        const("head_axis1", [1])], ["head_artifact"])]
    mapped = "head_artifact"
    if output == "softmax":
        other = 1 - channel
        nodes += [helper.make_node("Slice", ["logits", const("head_o0", [other]), const("head_o1", [other + 1]),
                                             const("head_axis1b", [1])], ["head_other"]),
                  helper.make_node("Sub", ["head_artifact", "head_other"], ["head_difference"])]
        mapped = "head_difference"
    nodes += [
        helper.make_node("Shape", [input_name], ["head_input_shape"]),
        helper.make_node("Slice", ["head_input_shape", const("head_s2", [2]), const("head_s4", [4])], ["head_hw"]),
        helper.make_node("Shape", [mapped], ["head_mapped_shape"]),
        helper.make_node("Slice", ["head_mapped_shape", const("head_s0", [0]), const("head_s2b", [2])], ["head_nc"]),
        helper.make_node("Concat", ["head_nc", "head_hw"], ["head_sizes"], axis=0),
        helper.make_node("Resize", [mapped, "", "", "head_sizes"], [OUTPUT_NAME], mode="linear",
                         coordinate_transformation_mode="pytorch_half_pixel"),
    ]
    graph.node.extend(nodes)
    graph.output.append(helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", 1, "height", "width"]))
