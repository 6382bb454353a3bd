"""Attacks on bundles (issue 15, "Why" 1, 2, 4): each builds a bad bundle from the tiny one
and checks it is refused at load, with an error that names the problem and nothing else."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from artifactsdk import BundleError, Detector
from artifactsdk.cli import main
from artifactsdk.manifest import write_manifest
from bundle_tools import copy_bundle, edit, load, only_fp32, rehash, save


@pytest.fixture
def bundle(tiny_bundle, tmp_path):
    return edit(copy_bundle(tiny_bundle, tmp_path / "bundle"), only_fp32)


def _external_data_bundle(root):
    """The segmenter's fp32 model re-saved with its weights in an external data file, listed by the exporter."""
    import onnx

    from artifactsdk.export.bundle_writer import onnx_file_entry

    model_path = root / "segmenter.fp32.onnx"
    model = onnx.load(str(model_path))
    onnx.save_model(model, str(model_path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="segmenter.fp32.onnx.data", size_threshold=0)
    manifest = load(root)
    manifest["models"]["segmenter"]["files"]["fp32"] = onnx_file_entry(root, "segmenter.fp32.onnx", "fp32", 17, None)
    write_manifest(root, manifest)
    return root / "segmenter.fp32.onnx.data"


def test_external_data_is_listed_hashed_and_checked(bundle):
    data = _external_data_bundle(bundle)
    entry = load(bundle)["models"]["segmenter"]["files"]["fp32"]
    assert [record["path"] for record in entry["external_data"]] == ["segmenter.fp32.onnx.data"]
    Detector.load(bundle).close()  # untouched: loads
    data.write_bytes(np.full(data.stat().st_size // 4, np.nan, np.float32).tobytes())  # every weight replaced
    with pytest.raises(BundleError, match="segmenter.fp32.onnx.data fails verification"):
        Detector.load(bundle)
    result = CliRunner().invoke(main, ["validate", str(bundle)])
    assert result.exit_code == 1 and "bundle OK" not in result.output and "fails verification" in result.output


def assert_unlisted_data_refused(bundle):
    """Both the runtime and `validate` refuse the segmenter's unlisted external data."""
    with pytest.raises(BundleError, match=r"loads external data \['segmenter.fp32.onnx.data'\]"):
        Detector.load(bundle)
    result = CliRunner().invoke(main, ["validate", str(bundle)])
    assert result.exit_code == 1 and "does not list or hash" in result.output and "bundle OK" not in result.output


def test_external_data_the_manifest_does_not_list_is_refused(bundle):
    _external_data_bundle(bundle)
    manifest = load(bundle)
    del manifest["models"]["segmenter"]["files"]["fp32"]["external_data"]  # the model file's hash still holds
    save(bundle, manifest)
    assert_unlisted_data_refused(bundle)


def test_a_model_swapped_between_verification_and_loading_is_refused(bundle):
    """The CPU backend loads the bytes it hashed itself, not the path again."""
    from artifactsdk.bundle import Bundle
    from artifactsdk.runtimes.onnxruntime_backend import OnnxRuntimeBackend

    model_file = Bundle.open(bundle).model_file("segmenter", "onnx", "fp32", "cpu")   # verified here
    path = bundle / "segmenter.fp32.onnx"
    path.write_bytes((bundle / "classifier.fp32.onnx").read_bytes())                 # swapped after
    with pytest.raises(BundleError, match="changed after it was verified"):
        OnnxRuntimeBackend(model_file).activate()


def test_a_path_leaving_the_bundle_is_refused_before_it_is_opened(bundle, tmp_path):
    outside = tmp_path / "orig"
    outside.mkdir()
    (outside / "x.onnx").write_bytes((bundle / "segmenter.fp32.onnx").read_bytes())
    record = load(bundle)["models"]["segmenter"]["files"]["fp32"]

    def point_outside(manifest):
        manifest["models"]["segmenter"]["files"]["fp32"] = {**record, "path": "../orig/x.onnx"}

    edit(bundle, point_outside)  # same bytes, same hash: only the path is wrong
    with pytest.raises(BundleError, match="not a normalised relative path"):
        Detector.load(bundle)


def test_a_symlink_leading_out_of_the_bundle_is_refused(bundle, tmp_path):
    outside = tmp_path / "elsewhere.onnx"
    outside.write_bytes((bundle / "segmenter.fp32.onnx").read_bytes())
    (bundle / "segmenter.fp32.onnx").unlink()
    (bundle / "segmenter.fp32.onnx").symlink_to(outside)  # hash still matches: the link itself is the attack
    with pytest.raises(BundleError, match="leads outside the bundle"):
        Detector.load(bundle)


def test_errors_reveal_nothing_about_files_outside_the_bundle(bundle, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"the password is hunter2\n" * 7)
    relative = os.path.relpath(secret, bundle)

    def probe(manifest):
        manifest["models"]["segmenter"]["files"]["fp32"]["path"] = relative

    edit(bundle, probe)
    with pytest.raises(BundleError) as error:
        Detector.load(bundle)
    message = str(error.value)
    assert str(secret.stat().st_size) not in message
    assert hashlib.sha256(secret.read_bytes()).hexdigest() not in message


@pytest.mark.parametrize("change, expected", [
    (lambda m: m["models"]["classifier"]["labels"][0].update(index=99), "label indices"),
    (lambda m: m["models"]["segmenter"].setdefault("source", {}).update(
        config={"image_score": {"method": "median"}}), "image_score/method"),
    (lambda m: m["models"]["segmenter"].setdefault("source", {}).update(
        config={"image_score": {"method": "top_fraction_mean", "top_fraction": 1e9}}), "top_fraction"),
    (lambda m: m["models"]["segmenter"]["input"].update(height=100000, width=100000), "input/height"),
    (lambda m: m["models"]["segmenter"]["outputs"][0].update(name="no_such_output"), "no_such_output"),
    (lambda m: m["models"]["segmenter"]["input"].update(std=[1e-40, 1e-40, 1e-40]), "input/std"),
    (lambda m: m["models"]["classifier"]["thresholds"].update(artifact="0.5"), "thresholds/artifact"),
], ids=["label-index-99", "unknown-image-score", "top-fraction-1e9", "input-100000", "unknown-output",
        "std-1e-40", "string-threshold"])
def test_manifest_values_the_runtime_cannot_use_fail_at_load(bundle, change, expected):
    edit(bundle, change)
    with pytest.raises(BundleError, match=expected):
        Detector.load(bundle)


@pytest.mark.parametrize("field", ["threshold", "top_fraction"])
def test_nan_in_the_manifest_fails_at_load(bundle, field):
    manifest = load(bundle)
    if field == "threshold":
        manifest["models"]["classifier"]["thresholds"]["artifact"] = float("nan")
    else:
        manifest["models"]["segmenter"]["source"] = {"config": {"image_score": {
            "method": "top_fraction_mean", "top_fraction": float("nan")}}}
    (bundle / "manifest.json").write_text(json.dumps(manifest))  # Python writes the bare NaN token
    with pytest.raises(BundleError, match="NaN"):
        Detector.load(bundle)


def test_deeply_nested_or_huge_manifests_fail_cleanly(bundle):
    (bundle / "manifest.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(BundleError, match="nests deeper"):
        Detector.load(bundle)
    (bundle / "manifest.json").write_text('{"a": ' + "[" * 40 + "]" * 40 + "}")
    with pytest.raises(BundleError, match="nests deeper than 32"):
        Detector.load(bundle)
    (bundle / "manifest.json").write_bytes(b" " * (5 << 20) + b"{}")
    with pytest.raises(BundleError, match="larger than"):
        Detector.load(bundle)


def test_a_model_that_outputs_nan_gives_that_images_error_not_a_nan_score(bundle):
    import onnx
    from onnx import numpy_helper

    path = bundle / "segmenter.fp32.onnx"
    model = onnx.load(str(path))
    for tensor in model.graph.initializer:
        tensor.CopyFrom(numpy_helper.from_array(np.full(numpy_helper.to_array(tensor).shape, np.nan, np.float32),
                                                tensor.name))
    onnx.save(model, str(path))
    edit(bundle, lambda m: rehash(m["models"]["segmenter"]["files"]["fp32"], path))
    with Detector.load(bundle) as detector:
        result = detector.detect_batch([np.zeros((64, 64, 3), np.uint8)])[0]
    assert result.error_type == "BundleError" and "not finite" in result.error


def _key_after_value(model: bytes, location: str) -> bytes:
    """The model with its external-data entries {key: "location", value: PATH} written value
    first: the same message to a protobuf parser (fields may come in any order), other bytes."""
    path = location.encode()
    key_first = b"\x0a\x08location\x12" + bytes([len(path)]) + path
    value_first = b"\x12" + bytes([len(path)]) + path + b"\x0a\x08location"
    assert key_first in model
    return model.replace(key_first, value_first)


def test_external_data_is_found_whatever_the_order_of_the_entrys_fields(bundle):
    """Issue 26, "Why" 12: the same entry with its two fields the other way round."""
    from artifactsdk.manifest import external_data_locations

    _external_data_bundle(bundle)
    model_path = bundle / "segmenter.fp32.onnx"
    model_path.write_bytes(_key_after_value(model_path.read_bytes(), "segmenter.fp32.onnx.data"))
    assert external_data_locations(model_path) == {"segmenter.fp32.onnx.data"}

    def unlist(manifest):
        entry = manifest["models"]["segmenter"]["files"]["fp32"]
        del entry["external_data"]
        rehash(entry, model_path)

    edit(bundle, unlist)
    assert_unlisted_data_refused(bundle)


def test_a_model_file_that_is_not_protobuf_is_refused_by_name(bundle):
    path = bundle / "segmenter.fp32.onnx"
    path.write_bytes(b"\xff" * 64)  # a varint that never ends
    edit(bundle, lambda m: rehash(m["models"]["segmenter"]["files"]["fp32"], path))
    with pytest.raises(BundleError, match="segmenter.fp32.onnx is not a readable ONNX model"):
        Detector.load(bundle)
