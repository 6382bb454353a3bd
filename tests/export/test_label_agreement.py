"""The classifier's int8 must keep fp32's labels; when it cannot, the classifier runs fp32
in the int8 pipeline and the manifest says why."""

import numpy as np
import pytest
import tiny_models

from artifactsdk.bundle import Bundle
from artifactsdk.export.bundle_writer import write_bundle
from artifactsdk.export.label_agreement import agreement, label_sets, verdicts
from artifactsdk.export.pipeline import export_model
from artifactsdk.runtimes.onnxruntime_backend import onnx_file_backend
from artifactsdk.training.predict import image_predictor
from artifactsdk.export.quantize import Int8Settings
from artifactsdk.export.settings import DataSettings, ExportSettings
from artifactsdk.export.sensitivity import module_key

CONFIG = {"labels": [{"index": 0, "key": "a", "name": "A"}, {"index": 1, "key": "b", "name": "B"},
                     {"index": 2, "key": "c", "name": "C"}],
          "trained_classes": ["a", "b"], "thresholds": {"classes": {"a": 0.5, "b": 0.2}}}


def test_label_sets_use_the_trained_classes_and_their_thresholds():
    scores = iter([np.array([0.6, 0.1, 0.9]), np.array([0.4, 0.3, 0.0])])
    sets = label_sets(lambda image: (next(scores), 0.5), CONFIG, [None, None])
    assert sets == [frozenset({"a"}), frozenset({"b"})]  # "c" is untrained: never a label


def test_agreement_is_the_share_of_identical_label_sets():
    assert agreement([frozenset({"a"}), frozenset()], [frozenset({"a"}), frozenset({"b"})]) == 0.5
    with pytest.raises(ValueError, match="equally long"):
        agreement([frozenset()], [])


def test_module_lists_end_a_group_so_a_bare_efficientnet_groups_by_block():
    assert module_key("/_blocks.3/_expand_conv/Conv") == "/_blocks.3"
    assert module_key("/encoder/_blocks.3/_expand_conv/Conv") == "/encoder/_blocks.3"
    assert module_key("/_conv_stem/Conv") == "/_conv_stem/Conv"
    assert module_key("/decoder/laterals.0/Conv", depth=1) == "/decoder"
    assert module_key("MatMul_12") == "MatMul_12"


def crowded_config(model, heldout) -> dict:
    """The tiny classifier's config with every threshold at the median of its held-out scores:
    the crowding that makes a real classifier's labels fragile."""
    import torch

    from artifactsdk.preprocess import to_tensor

    pixels = torch.from_numpy(np.concatenate([to_tensor(image, tiny_models.SPEC) for image in heldout.images]))
    with torch.no_grad():
        scores = torch.sigmoid(model(pixels)[0]).numpy()
    config = tiny_models.classifier_config()
    medians = {label["key"]: float(np.median(scores[:, label["index"]])) for label in config["labels"]}
    return {**config, "thresholds": {**config["thresholds"], "classes": medians}}


def _export(tmp_path, heldout, calibration, min_label_agreement, config=None, agreement_dirs=(),
            min_real_agreement=0.99, bundle_files=None):
    model = tiny_models.randomized(tiny_models.TinyClassifier)
    weights = tiny_models.save_weights(model, tmp_path / "ckpt")
    int8 = Int8Settings(keep_float_heads=False, min_label_agreement=min_label_agreement,
                        min_real_agreement=min_real_agreement)
    options = ExportSettings(max_drop=100.0, int8=int8, data=DataSettings(agreement_dirs=agreement_dirs),
                             bundle_files=bundle_files)
    bundle = tmp_path / "bundle"
    config = config or crowded_config(model, heldout)
    exported = export_model(model, config, weights, bundle, options, heldout, calibration)
    write_bundle(bundle, {exported.role: exported.entry})  # validates the manifest against its schema
    return bundle, exported.entry


def test_int8_that_changes_labels_is_not_shipped_and_the_classifier_runs_fp32(tmp_path, heldout, calibration):
    bundle, entry = _export(tmp_path, heldout, calibration, min_label_agreement=1.0)
    fallback = entry["precision_fallback"]["int8"]
    assert "int8" not in entry["files"] and not (bundle / "classifier.int8.onnx").exists()
    assert fallback["runs"] == "fp32" and fallback["label_agreement"] < 1.0
    assert "held-out images" in fallback["reason"]
    chosen = Bundle.open(bundle).model_file("classifier", "onnx", "int8", "cpu")
    assert chosen.path.name == "classifier.fp32.onnx"


def test_a_bundle_of_int8_files_keeps_the_fp32_file_its_int8_pipeline_runs(tmp_path, heldout, calibration):
    """--bundle-files int8 (the shipped bundle's choice) with a classifier whose int8 fell back:
    the fp32 file stays, or the bundle would have no classifier file at all."""
    bundle, entry = _export(tmp_path, heldout, calibration, min_label_agreement=1.0, bundle_files=("int8",))
    assert entry["precision_fallback"]["int8"]["runs"] == "fp32" and list(entry["files"]) == ["fp32"]
    assert Bundle.open(bundle).model_file("classifier", "onnx", "int8", "cpu").path.name == "classifier.fp32.onnx"


def test_int8_that_keeps_the_labels_is_shipped_with_its_agreement(tmp_path, heldout, calibration):
    model = tiny_models.randomized(tiny_models.TinyClassifier)
    config = crowded_config(model, heldout)
    bundle, entry = _export(tmp_path, heldout, calibration, min_label_agreement=0.25, config=config)
    assert "precision_fallback" not in entry
    recorded = entry["files"]["int8"]["quantization"]["label_agreement"]
    sets = {precision: label_sets(_predictor(bundle, entry, precision), config, heldout.images)
            for precision in ("fp32", "int8")}
    assert recorded == round(agreement(sets["fp32"], sets["int8"]), 4) >= 0.25


def _predictor(bundle, entry, precision):
    path = Bundle.open(bundle).find_file("classifier", "onnx", precision).path
    return image_predictor("classifier", onnx_file_backend(path).run_batch, tiny_models.SPEC, entry["outputs"])


def test_verdicts_and_labels_on_real_images_are_measured_and_must_reach_the_minimum(tmp_path, heldout,
                                                                                   calibration, samples):
    from artifactsdk.calibration.sources import FolderImages

    config = crowded_config(tiny_models.randomized(tiny_models.TinyClassifier), heldout)
    bundle, entry = _export(tmp_path / "a", heldout, calibration, 0, config=config, agreement_dirs=(samples,),
                            min_real_agreement=0)
    real = entry["files"]["int8"]["quantization"]["real_image_agreement"]
    images = list(FolderImages(samples))
    fp32, int8 = (_predictor(bundle, entry, precision) for precision in ("fp32", "int8"))
    assert real == {"images": len(images),
                    "verdicts": round(agreement(verdicts("classifier", fp32, config, images),
                                                verdicts("classifier", int8, config, images)), 4),
                    "label_sets": round(agreement(label_sets(fp32, config, images),
                                                  label_sets(int8, config, images)), 4)}
    _, strict = _export(tmp_path / "b", heldout, calibration, 0, config=config, agreement_dirs=(samples,),
                        min_real_agreement=1.0)
    if "precision_fallback" in strict:
        assert f"on {len(images)} real images" in strict["precision_fallback"]["int8"]["reason"]
    else:
        shares = strict["files"]["int8"]["quantization"]["real_image_agreement"]
        assert shares["verdicts"] == shares["label_sets"] == 1.0
