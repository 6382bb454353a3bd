import shutil

import pytest

from artifactsdk import Detector
from artifactsdk.bundle import Bundle, choose_precision, resolve_bundle_dir
from artifactsdk.errors import BundleError, InvalidInputError

FILES = {"fp32": {"format": "onnx", "precision": "fp32"}, "int8": {"format": "onnx", "precision": "int8"},
         "fp16": {"format": "onnx", "precision": "fp16"}, "torch": {"format": "safetensors", "precision": "fp32"}}


def test_auto_precision_is_int8_on_cpu_and_fp16_on_gpu():
    assert choose_precision(FILES, "auto", "cpu", "onnx") == "int8"
    assert choose_precision(FILES, "auto", "gpu", "onnx") == "fp16"
    only_fp32 = {"fp32": FILES["fp32"]}
    assert choose_precision(only_fp32, "auto", "cpu", "onnx") == "fp32"
    assert choose_precision(only_fp32, "auto", "gpu", "onnx") == "fp32"
    assert choose_precision(FILES, "auto", "cpu", "safetensors") == "fp32"


def test_bad_precisions_say_what_exists():
    with pytest.raises(InvalidInputError, match="only on a GPU"):
        choose_precision(FILES, "fp16", "cpu", "onnx")
    with pytest.raises(BundleError, match="no int8 ONNX file.*fp32"):
        choose_precision({"fp32": FILES["fp32"]}, "int8", "cpu", "onnx")
    with pytest.raises(InvalidInputError, match="unknown precision"):
        choose_precision(FILES, "bf16", "cpu", "onnx")
    with pytest.raises(InvalidInputError, match="applies to ONNX"):
        choose_precision(FILES, "int8", "cpu", "safetensors")


def test_a_precision_the_export_rejected_loads_the_file_it_chose_instead():
    only_fp32 = {"fp32": FILES["fp32"]}
    fallback = {"int8": {"runs": "fp32", "reason": "int8 changed the labels"}}
    assert choose_precision(only_fp32, "int8", "cpu", "onnx", fallback) == "fp32"
    assert choose_precision(only_fp32, "auto", "cpu", "onnx", fallback) == "fp32"
    with pytest.raises(BundleError, match="no int8 ONNX file"):
        choose_precision(only_fp32, "int8", "cpu", "onnx", {})


def test_model_file_picks_the_variant_and_verifies_it(tiny_bundle):
    bundle = Bundle.open(tiny_bundle)
    assert bundle.roles == ("classifier", "segmenter")
    chosen = bundle.model_file("segmenter", "onnx", "auto", "cpu")
    assert (chosen.variant, chosen.path.name) == ("int8", "segmenter.int8.onnx")
    thresholds = bundle.thresholds({"decision": 0.4})
    assert {key: thresholds[key] for key in ("pixel", "artifact", "cascade", "decision")} == \
        {"pixel": 0.5, "artifact": 0.5, "cascade": 0.3, "decision": 0.4}
    assert thresholds.of_class("localized_blur") == 0.5  # an older manifest's, on the label
    assert bundle.find_file("classifier", "onnx", "fp32").path.name == "classifier.fp32.onnx"
    assert bundle.find_file("classifier", "onnx", "fp16") is None  # no device policy, just absent


def test_a_modified_model_file_is_refused_before_loading(tiny_bundle, tmp_path):
    copy = shutil.copytree(tiny_bundle, tmp_path / "bundle")
    target = copy / "segmenter.fp32.onnx"
    data = bytearray(target.read_bytes())
    data[-5] ^= 0x01  # same size, still a loadable ONNX file: only the hash can tell
    target.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="segmenter.fp32.onnx fails verification"):
        Detector.load(copy, precision="fp32")
    Detector.load(copy, precision="int8").close()  # the untouched variant still loads


def test_missing_bundle_paths_are_explained(tmp_path):
    with pytest.raises(BundleError, match="should be a directory"):
        resolve_bundle_dir(tmp_path / "nope")
    with pytest.raises(BundleError, match="no manifest.json"):
        Bundle.open(tmp_path)


@pytest.mark.parametrize("where, value, named", [
    (("source", "config", "image_score"), {"method": "max"}, "image_score"),
    (("source", "config", "image_score"), {"method": "top_fraction_mean", "weight": -1}, "weight"),
    (("source", "config", "trained_classes"), "localized_blur", "trained_classes"),
    (("thresholds", "pixel"), 7.5, "pixel"),
])
def test_a_value_the_runtime_reads_that_is_wrong_fails_at_load_not_at_detect(tiny_bundle, tmp_path, where, value,
                                                                             named):
    import json

    copy = shutil.copytree(tiny_bundle, tmp_path / "bundle")
    manifest = json.loads((copy / "manifest.json").read_text())
    entry = manifest["models"]["segmenter"]
    for key in where[:-1]:
        entry = entry.setdefault(key, {})
    entry[where[-1]] = value
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=named):
        Detector.load(copy)
