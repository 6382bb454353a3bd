import json
import shutil

import pytest
import tiny_models
from click.testing import CliRunner

from artifactsdk.calibration.record import image_list_sha256
from artifactsdk.export.bundle_writer import write_bundle
from artifactsdk.export.pipeline import export_model
from artifactsdk.export.settings import ExportSettings
from artifactsdk.cli.validate import validate
from artifactsdk.manifest import read_manifest, sha256_file

MODELS = ((tiny_models.TinySegmenter, tiny_models.segmenter_config),
          (tiny_models.TinyClassifier, tiny_models.classifier_config))


def _export_bundle(directory, heldout, calibration):
    options = ExportSettings(precisions=("fp32", "int8", "fp16"), max_drop=100.0)
    entries = {}
    for model_class, config in MODELS:
        model = tiny_models.randomized(model_class)
        weights = tiny_models.save_weights(model, directory.parent / f"ckpt-{config()['task']}")
        exported = export_model(model, config(), weights, directory, options, heldout, calibration)
        entries[exported.role] = exported.entry
    write_bundle(directory, entries)
    return directory


@pytest.fixture(scope="module")
def bundles(tmp_path_factory, heldout, calibration):
    return [_export_bundle(tmp_path_factory.mktemp(f"run{i}") / "bundle", heldout, calibration) for i in range(2)]


def test_the_same_export_twice_gives_the_same_bytes_for_every_file(bundles):
    first, second = bundles
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert len(names) == 9  # manifest + 2 models x (fp32, int8, fp16, safetensors)
    assert {n: sha256_file(first / n) for n in names} == {n: sha256_file(second / n) for n in names}


def test_manifest_describes_each_model_completely(bundles, calibration, heldout):
    manifest = read_manifest(bundles[0])  # schema-checked on read
    segmenter, classifier = manifest["models"]["segmenter"], manifest["models"]["classifier"]
    assert segmenter["input"]["dynamic_hw"] is True and segmenter["input"]["multiple_of"] == 32
    assert classifier["input"]["dynamic_hw"] is False and classifier["input"]["height"] == 64
    assert segmenter["outputs"] == [{"name": "artifact_logits", "semantics": "artifact_logit",
                                     "shape": ["batch", 1, "height", "width"]}]
    assert [o["name"] for o in classifier["outputs"]] == ["class_logits", "artifact_logit"]
    assert classifier["outputs"][1]["semantics"] == "image_artifact_logit"
    label = classifier["labels"][7]
    assert label["key"] == "localized_blur" and label["prompts"] and "threshold" not in label
    assert classifier["thresholds"]["artifact"] == 0.5 and classifier["thresholds"]["classes"]["localized_blur"] == 0.5
    files = segmenter["files"]
    assert {k: (v["format"], v["precision"]) for k, v in files.items()} == {
        "fp32": ("onnx", "fp32"), "int8": ("onnx", "int8"), "fp16": ("onnx", "fp16"),
        "torch": ("safetensors", "fp16")}
    assert files["fp32"]["opset"] == 17 and files["int8"]["quantization"]["preset"] == "cpu"
    assert files["int8"]["quantization"]["per_channel"] is True
    assert segmenter["source"] == {"kind": "native", "config": tiny_models.segmenter_config()}
    record = segmenter["calibration"]
    assert (record["method"], record["preset"], record["count"]) == ("minmax", "cpu", len(calibration))
    assert record["images_sha256"] == image_list_sha256(calibration.hashes)
    assert set(segmenter["accuracy"]) == {"fp32", "int8", "fp16"} and "iou" in segmenter["accuracy"]["int8"]
    assert segmenter["accuracy_gate"]["metric"] == "iou" and segmenter["validation"]["passed"]
    assert segmenter["accuracy_gate"]["images"] == len(heldout)
    assert "created" in manifest and not any(ch.isdigit() for ch in manifest["created"].split("(")[0][-6:])


def test_validate_passes_and_names_a_file_with_one_flipped_byte(bundles, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(validate, [str(bundles[0]), "--eval-synth", "8", "--quiet"])
    assert ok.exit_code == 0, ok.output
    assert "bundle OK" in ok.output and "int8" in ok.output and "macro_f1" in ok.output
    broken = shutil.copytree(bundles[0], tmp_path / "broken")
    target = broken / "segmenter.int8.onnx"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    failed = runner.invoke(validate, [str(broken), "--eval-synth", "8", "--quiet"])
    assert failed.exit_code != 0 and "segmenter.int8.onnx" in failed.output and "sha256" in failed.output


def test_validate_on_the_export_held_out_set_reproduces_the_manifest_numbers(bundles):
    result = CliRunner().invoke(validate, [str(bundles[0]), "--eval-synth", "16", "--eval-seed", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.strip().startswith(("fp32", "int8", "fp16"))]
    assert len(rows) == 6 and all(row.endswith("+0.00pt") for row in rows)


def test_validate_refuses_a_manifest_that_breaks_the_schema(bundles, tmp_path):
    broken = shutil.copytree(bundles[0], tmp_path / "schema")
    manifest = json.loads((broken / "manifest.json").read_text())
    del manifest["models"]["segmenter"]["files"]["fp32"]["sha256"]
    (broken / "manifest.json").write_text(json.dumps(manifest))
    result = CliRunner().invoke(validate, [str(broken), "--quiet"])
    assert result.exit_code != 0 and "sha256" in result.output and "schema" in result.output


def test_eval_scores_a_bundle_like_validate_does(bundles, tmp_path):
    from artifactsdk.bundle import Bundle
    from artifactsdk.export.bundle_eval import score_bundle
    from artifactsdk.training.datasets import load_samples
    from artifactsdk.cli.eval import eval_command
    from artifactsdk.cli.synth import synth

    data = tmp_path / "data"
    assert CliRunner().invoke(synth, ["--out", str(data), "--count", "6", "--seed", "4", "--size", "64",
                                      "--quiet"]).exit_code == 0
    report = tmp_path / "eval.json"
    result = CliRunner().invoke(eval_command, ["--bundle", str(bundles[0]), "--precision", "int8",
                                               "--data", str(data), "--json", str(report), "--quiet"])
    assert result.exit_code == 0, result.output
    expected = score_bundle(Bundle.open(bundles[0]), load_samples(data, True), ["int8"])
    assert json.loads(report.read_text()) == json.loads(json.dumps(
        {role: scores["int8"] for role, scores in expected.items()}))


def test_a_failed_export_leaves_the_previous_bundle_intact(bundles, tmp_path):
    from artifactsdk.errors import ExportError
    from artifactsdk.export.bundle_writer import staged_bundle
    from artifactsdk.manifest import verify_bundle

    out = shutil.copytree(bundles[0], tmp_path / "bundle")
    with pytest.raises(ExportError):
        with staged_bundle(out) as stage:
            (stage / "segmenter.int8.onnx").write_bytes(b"half-written")
            raise ExportError("the gate failed")
    verify_bundle(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bundle-staging")]
    with staged_bundle(out) as stage:
        shutil.copy(out / "manifest.json", stage / "manifest.json")
        (stage / "extra.txt").write_text("new")
    assert (out / "extra.txt").read_text() == "new" and verify_bundle(out)
