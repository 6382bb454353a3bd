import json
import subprocess
import sys

import pytest
import torch

from artifactsdk import taxonomy
from artifactsdk.errors import BundleError
from artifactsdk.models import build_model, load_checkpoint, save_checkpoint
from artifactsdk.models.encoder import EfficientNetLite0, load_imagenet_weights
from artifactsdk.training.train import classifier_config, segmenter_config


def _classifier(seed=0):
    torch.manual_seed(seed)
    model = build_model(classifier_config(64))
    model.set_text_embeddings(torch.randn(taxonomy.NUM_CLASSES, 384))
    return model.eval()


def _outputs(model, pixels):
    out = model(pixels)
    return out if isinstance(out, tuple) else (out,)


def test_encoder_features_are_at_strides_4_to_32():
    features = EfficientNetLite0()(torch.randn(1, 3, 64, 96))
    assert [tuple(f.shape[1:]) for f in features] == [(24, 16, 24), (40, 8, 12), (112, 4, 6), (320, 2, 3)]


def test_imagenet_weights_load_into_every_encoder_tensor():
    encoder = EfficientNetLite0(with_head=True)
    before = encoder._conv_stem.weight.clone()
    load_imagenet_weights(encoder)
    assert not torch.equal(before, encoder._conv_stem.weight)
    # BN statistics come from ImageNet too, not the fresh 0 / 1
    assert not torch.allclose(encoder._blocks[5]._bn1.running_var, torch.ones(240))


@pytest.mark.parametrize("size", [(64, 64), (96, 160)])
def test_segmenter_returns_one_logit_per_input_pixel(size):
    model = build_model(segmenter_config(64)).eval()
    assert model(torch.randn(2, 3, *size)).shape == (2, 1, *size)


def test_segmenter_uses_only_int8_friendly_ops():
    kinds = {type(m).__name__ for m in build_model(segmenter_config(64)).modules() if not list(m.children())}
    assert kinds <= {"Conv2d", "BatchNorm2d", "ReLU", "ReLU6"}, kinds


def test_classifier_logits_are_scaled_cosine_plus_bias():
    model = _classifier()
    pixels = torch.randn(3, 3, 64, 64)
    class_logits, artifact_logit = model(pixels)
    assert class_logits.shape == (3, taxonomy.NUM_CLASSES) and artifact_logit.shape == (3, 1)
    with torch.no_grad():
        image = torch.nn.functional.normalize(model.projection(model.encoder.pooled(pixels, model.pooling)), dim=-1)
        text = model.text_embeddings
        expected = model.log_scale.exp() * (image @ text.t()) + model.class_bias
    assert torch.allclose(text.norm(dim=-1), torch.ones(len(text)), atol=1e-5)
    assert torch.allclose(class_logits, expected, atol=1e-5)


def test_the_evidence_map_is_where_the_statistics_term_comes_from():
    """With feature-map statistics the map's mean is the logit without the map, exactly; the
    cells differ (the term is shared out by position); and a change in one corner of the
    image moves the cells there most."""
    from artifactsdk.models.classifier import ArtifactClassifier

    torch.manual_seed(0)
    plain = ArtifactClassifier(taxonomy.NUM_CLASSES, stage_statistics=True).eval()
    torch.nn.init.normal_(plain.stage_head.weight, std=0.1)
    mapped = ArtifactClassifier(taxonomy.NUM_CLASSES, evidence=True, stage_statistics=True).eval()
    mapped.load_state_dict(plain.state_dict())
    pixels = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        _, logit = plain(pixels)
        _, mapped_logit, evidence = mapped(pixels)
        changed = pixels.clone()
        changed[:, :, :32, :32] = 0
        moved = (mapped(changed)[2] - evidence).abs()
    assert evidence.shape == (2, 1, 4, 4)
    assert torch.allclose(mapped_logit, logit, atol=1e-5)
    assert torch.allclose(evidence.mean(dim=(1, 2, 3)), logit[:, 0], atol=1e-5)
    assert evidence.std() > 0
    assert (moved[:, 0, :2, :2].mean(dim=(1, 2)) > moved[:, 0, 2:, 2:].mean(dim=(1, 2))).all()


def test_the_evidence_map_exports_for_any_input_size_a_multiple_of_32(tmp_path):
    import warnings

    import numpy as np
    import onnxruntime as ort

    from artifactsdk.models.classifier import ArtifactClassifier

    torch.manual_seed(0)
    model = ArtifactClassifier(taxonomy.NUM_CLASSES, evidence=True, stage_statistics=True, score_encoder=True).eval()
    torch.nn.init.normal_(model.stage_head.weight, std=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(model, (torch.zeros(1, 3, 128, 128),), tmp_path / "m.onnx", input_names=["pixels"],
                          opset_version=17, dynamic_axes={"pixels": {0: "n", 2: "h", 3: "w"}}, dynamo=False)
    pixels = np.random.default_rng(0).normal(size=(2, 3, 96, 160)).astype(np.float32)
    found = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"pixels": pixels})
    with torch.no_grad():
        expected = model(torch.from_numpy(pixels))
    assert found[2].shape == (2, 1, 3, 5)
    for a, b in zip(found, expected):
        np.testing.assert_allclose(a, b.numpy(), atol=1e-4)


def test_new_class_keeps_known_biases_and_starts_zero_shot():
    model = _classifier()
    with torch.no_grad():
        model.class_bias[:] = torch.arange(13.0)
    model.set_text_embeddings(torch.randn(14, 384))
    assert model.class_bias[:13].tolist() == list(range(13))
    assert model.class_bias[13].item() == pytest.approx(-3.0)
    assert model(torch.randn(1, 3, 64, 64))[0].shape == (1, 14)


@pytest.mark.parametrize("task", ["segmentation", "classification"])
def test_checkpoint_round_trip_gives_identical_outputs(tmp_path, task):
    model = _classifier() if task == "classification" else build_model(segmenter_config(64)).eval()
    config = classifier_config(64) if task == "classification" else segmenter_config(64)
    save_checkpoint(model, config, tmp_path / "ckpt")
    loaded, loaded_config = load_checkpoint(tmp_path / "ckpt")
    assert not loaded.training
    assert loaded_config["task"] == task and loaded_config["input"]["height"] == 64
    pixels = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(_outputs(model, pixels), _outputs(loaded, pixels)):
            assert torch.equal(a, b)


def test_fp16_checkpoint_is_half_the_size_and_close(tmp_path):
    model = build_model(segmenter_config(64)).eval()
    save_checkpoint(model, segmenter_config(64), tmp_path / "fp32")
    save_checkpoint(model, segmenter_config(64), tmp_path / "fp16", dtype=torch.float16)
    size32 = (tmp_path / "fp32" / "model.safetensors").stat().st_size
    size16 = (tmp_path / "fp16" / "model.safetensors").stat().st_size
    assert size16 < 0.6 * size32
    loaded, _ = load_checkpoint(tmp_path / "fp16")
    pixels = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model(pixels), loaded(pixels), atol=0.05)


def test_checkpoint_has_no_pickle(tmp_path):
    save_checkpoint(build_model(segmenter_config(64)), segmenter_config(64), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    assert json.loads((tmp_path / "config.json").read_text())["architecture"] == "efficientnet_lite0_fpn"


def test_mismatched_or_unknown_checkpoints_are_refused(tmp_path):
    with pytest.raises(BundleError, match="unknown model architecture"):
        build_model({"task": "segmentation", "architecture": "resnet"})
    with pytest.raises(BundleError, match="does not match"):
        build_model({**segmenter_config(64), "task": "classification"})
    with pytest.raises(BundleError, match="config.json"):
        load_checkpoint(tmp_path)
    save_checkpoint(_classifier(), classifier_config(64), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["labels"] = config["labels"][:5]
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match="do not fit"):
        load_checkpoint(tmp_path)


def test_loading_a_checkpoint_imports_no_training_or_text_model(tmp_path):
    save_checkpoint(_classifier(), classifier_config(64), tmp_path)
    code = (f"import sys; from artifactsdk.models import load_checkpoint; load_checkpoint({str(tmp_path)!r}); "
            "heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('sentence_transformers', 'transformers', 'sklearn') or m.startswith('artifactsdk.training')]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
