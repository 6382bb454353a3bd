import pytest

from tiny_bundle import build_tiny_bundle  # the runtime tests' builder (tests/conftest.py puts it on the path)


@pytest.fixture(scope="session")
def bench_bundle(tmp_path_factory):
    """A segmenter + classifier bundle with fp32, int8 and fp16 ONNX files."""
    return build_tiny_bundle(tmp_path_factory.mktemp("bench_bundle"), variants=("fp32", "int8", "fp16"))


@pytest.fixture(scope="session")
def native_bundle(tmp_path_factory):
    """The default segmenter architecture at 64x64 with random weights, exported by
    `artifactsdk export` to fp32 + int8 ONNX beside its safetensors (torch backend)."""
    torch = pytest.importorskip("torch")
    from click.testing import CliRunner

    from artifactsdk.cli import main
    from artifactsdk.models import build_model, save_checkpoint
    from artifactsdk.training.train import segmenter_config

    root = tmp_path_factory.mktemp("native")
    config = segmenter_config(64)
    torch.manual_seed(0)
    save_checkpoint(build_model(config).eval(), config, root / "checkpoint")
    result = CliRunner().invoke(main, [
        "export", "segmenter", "--checkpoint", str(root / "checkpoint"), "--out", str(root / "bundle"),
        "--precision", "fp32,int8", "--calib-synth", "4", "--eval-synth", "4", "--max-drop", "100", "--quiet"])
    assert result.exit_code == 0, result.output
    return root / "bundle"
