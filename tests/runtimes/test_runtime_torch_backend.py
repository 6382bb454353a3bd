"""The torch backend runs a bundle's native checkpoint and agrees with its ONNX export."""

import numpy as np
import pytest

from artifactsdk import Detector
from artifactsdk.manifest import file_entry, write_manifest
from artifactsdk.preprocess import IMAGENET_MEAN, IMAGENET_STD, InputSpec
from tiny_bundle import red_square_image

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")
models = pytest.importorskip("artifactsdk.models")

SPEC = InputSpec(64, 64, IMAGENET_MEAN, IMAGENET_STD)


@pytest.fixture(scope="module")
def native_bundle(tmp_path_factory):
    """The default segmenter architecture with random weights: safetensors + its fp32 ONNX export."""
    from safetensors.torch import save_file

    root = tmp_path_factory.mktemp("native_bundle")
    config = {"task": "segmentation", "architecture": "efficientnet_lite0_fpn", "input": SPEC.to_manifest()}
    torch.manual_seed(0)
    network = models.build_model(config).eval()
    save_file({k: v.detach().contiguous() for k, v in network.state_dict().items()}, str(root / "seg.safetensors"))
    torch.onnx.export(network, (torch.zeros(1, 3, 64, 64),), str(root / "seg.onnx"), input_names=["pixels"],
                      output_names=["artifact_logits"], dynamic_axes={"pixels": {0: "N"}, "artifact_logits": {0: "N"}},
                      opset_version=17, dynamo=False)
    write_manifest(root, {"format_version": 1, "name": "native", "version": "0", "sdk_version": "0", "created": "test",
                          "models": {"segmenter": {
                              "task": "segmentation", "architecture": config["architecture"],
                              "source": {"kind": "native", "config": config}, "input": SPEC.to_manifest(),
                              "outputs": [{"name": "artifact_logits", "semantics": "artifact_logit"}],
                              "files": {"fp32": file_entry(root, "seg.onnx", "onnx", "fp32"),
                                        "torch": file_entry(root, "seg.safetensors", "safetensors", "fp32")}}}})
    return root


@pytest.mark.slow
def test_torch_backend_matches_onnx_runtime_on_the_same_weights(native_bundle):
    images = [red_square_image(64, (8 * i, 8, 8 * i + 20, 30), seed=i) for i in range(3)]
    with Detector.load(native_bundle, backend="torch", threads=1) as reference, \
            Detector.load(native_bundle, backend="ort-cpu") as onnx_runtime:
        assert reference.describe()["models"]["segmenter"]["backend"] == "torch"
        reference.warmup()
        for image in images:
            a, b = reference.detect(image), onnx_runtime.detect(image)
            assert a.model_mask.shape == (64, 64)
            np.testing.assert_allclose(a.model_mask, b.model_mask, atol=1e-4)
            assert a.artifact_score == pytest.approx(b.artifact_score, abs=1e-4)
