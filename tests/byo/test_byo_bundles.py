"""Acceptance: a tiny SegFormer directory, a tiny CLIP directory and a TorchScript
segmenter with PAL's contract each become a bundle with fp32 and int8 through
`artifactsdk export`, pass `artifactsdk validate`, and detect through `Detector`."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from artifactsdk.cli import main
from artifactsdk.manifest import read_manifest

FAST = ["--precision", "fp32,int8", "--calib-synth", "8", "--eval-synth", "8", "--quiet"]


def _export(tmp_path_factory, name: str, target: str, *source_args) -> tuple:
    out = tmp_path_factory.mktemp(name) / "bundle"
    result = CliRunner().invoke(main, ["export", target, *source_args, "--out", str(out), *FAST])
    assert result.exit_code == 0, result.output
    return out, read_manifest(out)


@pytest.fixture(scope="module")
def segformer_bundle(tmp_path_factory, segformer_dir):
    return _export(tmp_path_factory, "seg", "segmenter", "--hf-dir", str(segformer_dir))


@pytest.fixture(scope="module")
def clip_bundle(tmp_path_factory, clip_dir):
    # A random tiny CLIP scores at chance (macro-F1 ~0.08), where validate's 128 images move
    # by ~0.9 point between fp32 and int8; a gate of 2 points keeps the test about the bundle.
    return _export(tmp_path_factory, "clip", "classifier", "--hf-clip", str(clip_dir), "--max-drop", "2")


@pytest.fixture(scope="module")
def torchscript_bundle(tmp_path_factory, pal_torchscript):
    return _export(tmp_path_factory, "ts", "segmenter", "--torchscript", str(pal_torchscript), "--size", "64")


@pytest.fixture(params=["segformer_bundle", "clip_bundle", "torchscript_bundle"])
def byo_bundle(request):
    return request.getfixturevalue(request.param)


def test_bundle_has_fp32_and_int8_and_passes_validate(byo_bundle):
    out, manifest = byo_bundle
    [model] = manifest["models"].values()
    assert {"fp32", "int8"} <= set(model["files"]) and "torch" not in model["files"]
    assert model["validation"]["passed"] and model["accuracy_gate"]["passed"]
    assert model["calibration"]["count"] == 8
    result = CliRunner().invoke(main, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "bundle OK" in result.output


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_detector_detects_with_the_bundle(byo_bundle, precision):
    import artifactsdk

    out, manifest = byo_bundle
    image = np.random.default_rng(3).integers(0, 256, (96, 80, 3), dtype=np.uint8)
    with artifactsdk.Detector.load(out, precision=precision) as detector:
        detection = detector.detect(image)
        assert detector.describe()["models"][next(iter(manifest["models"]))]["precision"] == precision
    assert 0.0 <= detection.artifact_score <= 1.0
    if "segmenter" in manifest["models"]:
        assert detection.mask.shape == (96, 80)
    else:
        assert len(detection.scores) == 13


def test_segformer_manifest_records_optimum_and_the_output_mapping(segformer_bundle):
    _, manifest = segformer_bundle
    model = manifest["models"]["segmenter"]
    assert model["architecture"] == "hf:segformer"
    assert model["source"]["exporter"] == "optimum" and model["source"]["output"] == "sigmoid"
    assert model["source"]["source_semantics"] == "artifact_logit"
    assert model["source"]["source_output_size"] == [16, 16] and model["source"]["upsampled_to"] == [64, 64]
    assert model["outputs"][0]["semantics"] == "artifact_logit"
    assert model["input"]["dynamic_hw"] is True
    kept = model["files"]["int8"]["quantization"]["keep_float_op_types"]  # transformer int8: MatMul/Conv/Gemm
    assert kept and not {"MatMul", "Conv", "Gemm"} & set(kept) and {"Softmax", "Add"} <= set(kept)


def test_segformer_int8_leaves_matmul_outputs_float(segformer_bundle):
    import onnx

    out, manifest = segformer_bundle
    int8 = manifest["models"]["segmenter"]["files"]["int8"]
    assert int8["quantization"]["float_output_op_types"] == ["MatMul"]
    graph = onnx.load(str(out / int8["path"])).graph
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node.op_type)
    matmul_outputs = [node.output[0] for node in graph.node if node.op_type == "MatMul"]
    assert matmul_outputs and all("QuantizeLinear" not in consumers.get(name, []) for name in matmul_outputs)
    assert any(node.op_type == "DequantizeLinear" and consumers.get(node.output[0]) == ["MatMul"]
               for node in graph.node)  # the MatMuls themselves are still int8


def test_clip_bundle_is_image_only_with_prompts_baked_in(clip_bundle):
    import onnx

    out, manifest = clip_bundle
    model = manifest["models"]["classifier"]
    graph = onnx.load(str(out / model["files"]["fp32"]["path"])).graph
    assert [i.name for i in graph.input] == ["pixels"]  # the runtime never runs text
    assert {o["semantics"] for o in model["outputs"]} == {"class_logits", "image_artifact_logit"}
    assert len(model["labels"]) == 13 and all(label["prompts"] for label in model["labels"])
    assert model["source"]["family"] == "clip" and model["source"]["clean_prompts"]


def test_torchscript_manifest_records_pal_preprocessing(torchscript_bundle):
    _, manifest = torchscript_bundle
    model = manifest["models"]["segmenter"]
    assert model["input"]["mean"] == [123.675, 116.28, 103.53] and model["input"]["std"] == [58.395, 57.12, 57.375]
    assert model["source"]["mapping"] == "argmax" and model["source"]["source_semantics"] == "artifact_argmax"
    assert model["input"]["dynamic_hw"] is False  # traced at one size: the bundle says so
