"""TensorRT engine building.

`test_contract_*` tests run our builder against tests/tensorrt/fake_tensorrt.py: they
check OUR call sequence and manifest record, not TensorRT. The `gpu` tests need a real
GPU and TensorRT and skip here with the reason.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from fake_tensorrt import make_fake_tensorrt
from gpu_marks import GPU, needs_gpu

from artifactsdk.cli import main
from artifactsdk.errors import BundleError, ExportError, InvalidInputError
from artifactsdk.export.tensorrt_build import EngineBuildOptions, build_bundle_engines
from artifactsdk.cli.option_settings import parse_shape
from artifactsdk.manifest import read_manifest, sha256_file, verify_bundle
from artifactsdk.runtimes.tensorrt_support import GpuIdentity, check_engine_compatible

@pytest.fixture
def fake_trt(monkeypatch):
    def install(**kwargs):
        trt = make_fake_tensorrt(**kwargs)
        monkeypatch.setitem(sys.modules, "tensorrt", trt)
        return trt
    return install


def _calls(trt, name):
    return [c for c in trt.calls if c[0] == name]


def test_build_engine_without_tensorrt_says_what_to_install_and_fails(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorrt", None)  # import fails as when it is not installed
    result = CliRunner().invoke(main, ["build-engine", str(tmp_path)])
    assert result.exit_code != 0
    assert "TensorRT" in result.output and "NVIDIA GPU" in result.output
    assert "pip install" in result.output


def test_parse_shape_accepts_nchw_and_rejects_the_rest():
    assert parse_shape("2x3x512x384") == (2, 3, 512, 384)
    for bad in ("3x512x512", "1x3x0x4", "axbxcxd"):
        with pytest.raises(InvalidInputError, match="NxCxHxW"):
            parse_shape(bad)


def test_contract_fp16_on_tensorrt10_uses_fp32_onnx_with_the_fp16_flag(fake_trt, bundle_factory):
    trt = fake_trt(version="10.8.0")
    bundle = bundle_factory(("fp32", "fp16"))
    [result] = build_bundle_engines(bundle, EngineBuildOptions(precision="fp16", workspace_gib=2), gpu=GPU)

    assert _calls(trt, "parser.parse_from_file") == [("parser.parse_from_file", "segmenter.fp32.onnx")]
    assert _calls(trt, "builder.create_network") == [("builder.create_network", 0)]
    assert ("config.set_flag", "FP16") in trt.calls
    assert ("config.set_memory_pool_limit", trt.MemoryPoolType.WORKSPACE, 2 << 30) in trt.calls
    assert _calls(trt, "profile.set_shape") == [
        ("profile.set_shape", "pixels", (1, 3, 64, 64), (1, 3, 64, 64), (8, 3, 64, 64))]
    # the engine file holds exactly the serialized bytes TensorRT returned, nothing prepended
    engine = (bundle / "segmenter.trt-fp16.engine").read_bytes()
    assert engine == b"fake-plan:['FP16']:0"

    entry = read_manifest(bundle)["models"]["segmenter"]["files"]["trt-fp16"]
    assert entry["format"] == "engine" and entry["precision"] == "fp16"
    assert entry["sha256"] == sha256_file(bundle / "segmenter.trt-fp16.engine") == result.sha256
    assert entry["tensorrt"]["version"] == "10.8.0"
    assert entry["tensorrt"]["gpu"] == GPU.name and entry["tensorrt"]["compute_capability"] == "8.6"
    assert entry["tensorrt"]["profiles"] == [{"input": "pixels", "min": [1, 3, 64, 64], "opt": [1, 3, 64, 64],
                                              "max": [8, 3, 64, 64]}]
    verify_bundle(bundle)


def test_contract_int8_builds_the_tensorrt_qdq_model_strongly_typed(fake_trt, bundle_factory):
    trt = fake_trt(version="10.8.0")
    bundle = bundle_factory(("fp32", "int8-cpu", "int8"))
    [result] = build_bundle_engines(bundle, EngineBuildOptions(precision="int8"), gpu=GPU)

    strongly_typed = 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    assert _calls(trt, "parser.parse_from_file") == [("parser.parse_from_file", "segmenter.int8.onnx")]
    assert _calls(trt, "builder.create_network") == [("builder.create_network", strongly_typed)]
    [(_, _, flags, _, calibrated)] = _calls(trt, "builder.build_serialized_network")
    assert flags == [] and not calibrated  # no weak-typing precision flags, no calibrator
    assert result.source_variant == "int8" and result.variant == "trt-int8"
    assert read_manifest(bundle)["models"]["segmenter"]["files"]["trt-int8"]["tensorrt"]["built_from"] == "int8"


def test_contract_tensorrt11_builds_fp16_from_the_fp16_onnx(fake_trt, bundle_factory):
    trt = fake_trt(version="11.0.0", weak_typing=False)
    bundle = bundle_factory(("fp32", "fp16"))
    build_bundle_engines(bundle, EngineBuildOptions(precision="fp16"), gpu=GPU)
    assert _calls(trt, "parser.parse_from_file") == [("parser.parse_from_file", "segmenter.fp16.onnx")]
    assert _calls(trt, "builder.create_network") == [("builder.create_network", 1)]


def test_contract_tensorrt11_without_fp16_onnx_says_how_to_export_one(fake_trt, bundle_factory):
    fake_trt(version="11.0.0", weak_typing=False)
    with pytest.raises(ExportError, match="--precision fp32,fp16"):
        build_bundle_engines(bundle_factory(("fp32",)), EngineBuildOptions(precision="fp16"), gpu=GPU)


def test_contract_tensorrt11_int8_without_qdq_model_asks_for_the_tensorrt_preset(fake_trt, bundle_factory):
    fake_trt(version="11.0.0", weak_typing=False)
    with pytest.raises(ExportError, match="--preset tensorrt"):
        build_bundle_engines(bundle_factory(("fp32", "int8-cpu")), EngineBuildOptions(precision="int8"), gpu=GPU)


def test_contract_tensorrt10_implicit_int8_uses_the_calibrator(fake_trt, bundle_factory):
    trt = fake_trt(version="10.3.0")
    bundle = bundle_factory(("fp32",))
    with pytest.raises(ExportError, match="--calib"):
        build_bundle_engines(bundle, EngineBuildOptions(precision="int8"), gpu=GPU)
    images = [np.zeros((80, 80, 3), np.uint8)] * 5
    options = EngineBuildOptions(precision="int8", opt_shape=(2, 3, 64, 64))
    [result] = build_bundle_engines(bundle, options, gpu=GPU, calibration_images=lambda: images)
    [(_, network_flags, flags, _, calibrated)] = _calls(trt, "builder.build_serialized_network")
    assert network_flags == 0 and flags == ["FP16", "INT8"] and calibrated
    assert result.source_variant == "fp32" and result.mode.startswith("fp32 ONNX + INT8")


def test_the_entropy_calibrator_hands_out_whole_batches_at_the_opt_batch_size(fake_trt):
    from artifactsdk.export.tensorrt_calibrator import entropy_calibrator
    from artifactsdk.preprocess import InputSpec

    trt = fake_trt(version="10.3.0")
    calibrator = entropy_calibrator(trt, [np.zeros((8, 8, 3), np.uint8)] * 5, InputSpec(8, 8, (0,) * 3, (1,) * 3), 2)
    assert isinstance(calibrator, trt.IInt8EntropyCalibrator2)
    assert calibrator.get_batch_size() == 2 and calibrator.read_calibration_cache() is None
    calibrator.position = 4  # one image left: less than a batch, so calibration ends
    assert calibrator.get_batch(["pixels"]) is None


def test_contract_compatibility_flags_profiles_and_timing_cache(fake_trt, bundle_factory, tmp_path):
    trt = fake_trt(version="10.8.0")
    bundle = bundle_factory(("fp32",))
    cache = tmp_path / "timing.cache"
    cache.write_bytes(b"old")
    options = EngineBuildOptions(precision="fp16", version_compatible=True, hardware_compat="ampere_plus",
                                 min_shape=(1, 3, 64, 64), opt_shape=(4, 3, 64, 64), max_shape=(16, 3, 64, 64),
                                 timing_cache=str(cache))
    build_bundle_engines(bundle, options, gpu=GPU)
    [(_, _, flags, hardware, _)] = _calls(trt, "builder.build_serialized_network")
    assert flags == ["FP16", "VERSION_COMPATIBLE"] and hardware == "AMPERE_PLUS"
    assert _calls(trt, "profile.set_shape")[0][2:] == ((1, 3, 64, 64), (4, 3, 64, 64), (16, 3, 64, 64))
    assert ("config.create_timing_cache", b"old") in trt.calls
    assert ("config.set_timing_cache", False) in trt.calls
    assert cache.read_bytes() == b"old+timed"  # updated after the build
    record = read_manifest(bundle)["models"]["segmenter"]["files"]["trt-fp16"]["tensorrt"]
    assert record["version_compatible"] is True and record["hardware_compatibility"] == "ampere_plus"


def test_contract_a_profile_for_a_missing_input_fails_the_build(fake_trt, bundle_factory):
    fake_trt()
    bundle = bundle_factory(("fp32",))
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["models"]["segmenter"]["input"]["name"] = "images"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match="could not build"):
        build_bundle_engines(bundle, EngineBuildOptions(), gpu=GPU)


def test_fixed_size_inputs_refuse_a_profile_that_changes_height_or_width(fake_trt, bundle_factory):
    fake_trt()
    with pytest.raises(InvalidInputError, match="fixed at 64x64"):
        build_bundle_engines(bundle_factory(), EngineBuildOptions(max_shape=(8, 3, 128, 128)), gpu=GPU)


@pytest.mark.parametrize("record, version, gpu, fits", [
    ({"version": "10.8.0", "compute_capability": "8.6"}, "10.8.0", GPU, True),
    ({"version": "10.8.0", "compute_capability": "8.6"}, "10.9.0", GPU, False),
    ({"version": "10.8.0", "compute_capability": "8.6", "version_compatible": True}, "10.9.0", GPU, True),
    ({"version": "10.8.0", "compute_capability": "8.6", "version_compatible": True}, "11.0.0", GPU, False),
    ({"version": "10.8.0", "compute_capability": "8.6"}, "10.8.0", GpuIdentity("NVIDIA L4", "8.9"), False),
    ({"version": "10.8.0", "compute_capability": "8.6", "hardware_compatibility": "ampere_plus"}, "10.8.0",
     GpuIdentity("NVIDIA L4", "8.9"), True),
    ({"version": "10.8.0", "compute_capability": "8.6", "hardware_compatibility": "ampere_plus"}, "10.8.0",
     GpuIdentity("Tesla T4", "7.5"), False),
])
def test_engine_compatibility_rules(record, version, gpu, fits):
    record = {"gpu": "NVIDIA GeForce RTX 3090", "profiles": [], **record}
    if fits:
        check_engine_compatible(record, version, gpu, "bundle", "trt-fp16")
    else:
        with pytest.raises(BundleError, match="artifactsdk build-engine bundle --precision fp16"):
            check_engine_compatible(record, version, gpu, "bundle", "trt-fp16")


@pytest.mark.gpu
@needs_gpu
def test_gpu_builds_a_real_fp16_engine(bundle_factory):
    [result] = build_bundle_engines(bundle_factory(("fp32", "fp16")), EngineBuildOptions(precision="fp16"))
    assert result.bytes > 0


def test_contract_cli_builds_and_prints_the_record(fake_trt, bundle_factory, monkeypatch):
    import artifactsdk.export.tensorrt_build as tensorrt_build

    fake_trt(version="10.8.0")
    monkeypatch.setattr(tensorrt_build, "detect_gpu", lambda: GPU)
    bundle = bundle_factory(("fp32",))
    result = CliRunner().invoke(main, ["build-engine", str(bundle), "--precision", "fp16", "--max-shape",
                                       "4x3x64x64", "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    [record] = json.loads(result.output)
    assert record["variant"] == "trt-fp16" and record["profile"]["max"] == [4, 3, 64, 64]
    assert record["gpu"] == GPU.name and record["tensorrt_version"] == "10.8.0"
