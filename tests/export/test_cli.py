import json

import pytest
from click.testing import CliRunner

from artifactsdk.cli.export import export
from artifactsdk.manifest import read_manifest


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """The real segmenter architecture, random weights, at a 64x64 input (fp16 safetensors)."""
    import torch

    from artifactsdk.models import build_model, save_checkpoint
    from artifactsdk.training.train import segmenter_config

    torch.manual_seed(0)
    config = segmenter_config(64)
    return save_checkpoint(build_model(config), config, tmp_path_factory.mktemp("ckpt") / "segmenter",
                           dtype=torch.float16)


@pytest.mark.slow  # the real architecture: ~10 s on an idle 2-core machine
def test_export_command_writes_a_validated_bundle(checkpoint, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from artifactsdk.bundle import Bundle

    key = Ed25519PrivateKey.generate()
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    out = tmp_path / "bundle"
    result = CliRunner().invoke(export, ["segmenter", "--checkpoint", str(checkpoint), "--out", str(out),
                                         "--calib-synth", "8", "--seed", "3", "--eval-synth", "8",
                                         "--calib-method", "percentile", "--calib-percentile", "99.9",
                                         "--max-drop", "100", "--bundle-files", "int8,torch", "--sign",
                                         str(tmp_path / "key.pem"), "--quiet"])
    assert result.exit_code == 0, result.output
    Bundle.open(out, trusted_keys=[key.public_key()])  # --sign wrote a signature this key checks
    manifest = read_manifest(out)
    model = manifest["models"]["segmenter"]
    assert set(model["files"]) == {"int8", "torch"}      # fp32 was made, scored against, and not kept
    assert sorted(path.name for path in out.iterdir()) == ["manifest.json", "manifest.json.sig",
                                                          "segmenter.int8.onnx", "segmenter.safetensors"]
    assert set(model["accuracy"]) == {"fp32", "int8"}
    assert model["architecture"] == "efficientnet_lite0_fpn"
    assert model["calibration"]["parameters"] == {"method": "percentile", "num_bins": 2048, "percentile": 99.9}
    assert model["validation"]["outputs"][0]["max_abs"] <= 1e-4
    assert "fp32 ONNX vs torch" in result.output and "gate: iou" in result.output
    quantization = model["files"]["int8"]["quantization"]
    assert quantization["reduce_range"] and quantization["integer_exactness"]["worst_pair_sum"] <= 32767
    assert "integer products exact on: vnni, avx2, avx512" in result.output
    assert json.loads((checkpoint / "config.json").read_text())["input"] == \
        {k: v for k, v in model["source"]["config"]["input"].items()}


@pytest.mark.parametrize("arguments, message", [
    (["--seed", "5", "--eval-seed", "5"], "held-out seed equals the calibration seed"),
    (["--precision", "int8"], "must include fp32"),
    (["--calib-bins", "512"], "'minmax' does not use num_bins"),
    (["--calib-method", "entropy", "--calib-quantized-bins", "4096"], "num_quantized_bins"),
    (["--opset", "11"], "opset 11 is too old"),
    (["--bundle-files", "fp16"], "--bundle-files fp16"),
])
def test_bad_options_fail_with_a_message(checkpoint, tmp_path, arguments, message):
    result = CliRunner().invoke(export, ["segmenter", "--checkpoint", str(checkpoint), "--out", str(tmp_path),
                                         "--calib-synth", "2", "--eval-synth", "2", "--quiet", *arguments])
    assert result.exit_code != 0 and message in result.output


def test_export_all_needs_both_checkpoint_directories(checkpoint, tmp_path):
    result = CliRunner().invoke(export, ["all", "--checkpoint", str(checkpoint.parent), "--out", str(tmp_path)])
    assert result.exit_code != 0 and "classifier missing" in result.output
