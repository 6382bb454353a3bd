"""The runtime knows which int8 kernel path this CPU takes, and warns when a bundle's int8
file is not exact on it (old exports: 8-bit weights on a CPU without VNNI)."""

import json
import logging
import shutil

import pytest
from click.testing import CliRunner

from artifactsdk import Detector, environment
from artifactsdk.bundle import Bundle
from artifactsdk.cli import main
from artifactsdk.environment import int8_kernel_path, int8_saturation_risk

OLD_FORMAT = {"activations": "QUInt8", "weights": "QInt8", "preset": "cpu"}  # the manifest before reduce_range
SEVEN_BIT = {**OLD_FORMAT, "reduce_range": True,
             "integer_exactness": {"exact_kernel_paths": ["vnni", "avx2", "avx512"]}}


@pytest.mark.parametrize("flags, path", [({"avx2", "avx512f", "avx512bw", "avx512_vnni"}, "vnni"),
                                         ({"avx2", "avx_vnni"}, "vnni"), ({"avx2", "avx512f", "avx512bw"}, "avx512"),
                                         ({"avx2", "fma"}, "avx2"), ({"sse4_2"}, "other"), (set(), "other")])
def test_the_kernel_path_follows_the_cpu_flags(flags, path):
    assert int8_kernel_path(flags) == path


def test_old_8_bit_weights_are_a_risk_only_without_vnni():
    assert "no VNNI" in int8_saturation_risk(OLD_FORMAT, "avx2")
    assert "avx512" in int8_saturation_risk(OLD_FORMAT, "avx512")
    assert int8_saturation_risk(OLD_FORMAT, "vnni") is None
    assert int8_saturation_risk(SEVEN_BIT, "avx2") is None
    assert int8_saturation_risk({**OLD_FORMAT, "reduce_range": True}, "avx2") is None
    tensorrt = {"activations": "QInt8", "weights": "QInt8", "integer_exactness": {"exact_kernel_paths": ["vnni"]}}
    assert int8_saturation_risk(tensorrt, "avx2") is not None


def test_info_names_the_int8_kernel_path():
    path = environment.cpu_info()["int8_kernel_path"]
    assert path in {"vnni", "avx512", "avx2", "other"}
    assert json.loads(CliRunner().invoke(main, ["info", "--json"]).output)["cpu"]["int8_kernel_path"] == path
    assert f"int8 kernels {path}" in CliRunner().invoke(main, ["info"]).output


def _as_if_the_cpu_took(monkeypatch, path):
    real = environment.cpu_info
    monkeypatch.setattr(environment, "cpu_info", lambda: {**real(), "int8_kernel_path": path})


def old_format_bundle(tmp_path):
    """The shipped bundle with its int8 records as exports before the 7-bit format wrote them."""
    root = Bundle.open("default").root
    copy = shutil.copytree(root, tmp_path / "old", ignore=shutil.ignore_patterns("*.sig"))
    manifest = json.loads((copy / "manifest.json").read_text())
    for model in manifest["models"].values():
        quantization = model["files"]["int8"]["quantization"]
        for key in ("reduce_range", "integer_exactness"):
            quantization.pop(key, None)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


@pytest.mark.parametrize("path, warned", [("avx2", True), ("vnni", False)])
def test_loading_an_old_format_int8_bundle_warns_without_vnni(monkeypatch, caplog, tmp_path, path, warned):
    bundle = old_format_bundle(tmp_path)
    _as_if_the_cpu_took(monkeypatch, path)
    with caplog.at_level(logging.INFO, logger="artifactsdk.detector"):
        Detector.load(bundle, backend="ort-cpu", precision="int8").close()
    assert f"int8 kernel path of this CPU: {path}" in caplog.text
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == (2 if warned else 0) and all("saturates" in w for w in warnings)
