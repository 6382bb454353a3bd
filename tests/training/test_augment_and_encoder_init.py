"""Training's mirroring augmentation and starting the classifier from the segmenter's encoder."""

import numpy as np
import pytest
import torch

from artifactsdk.models.checkpoint import build_model
from artifactsdk.preprocess import IMAGENET_MEAN, IMAGENET_STD, InputSpec, normalize
from artifactsdk.training.arrays import ClassificationArrays, SegmentationArrays, classification_batch, segmentation_batch
from artifactsdk.training.train import classifier_config, copy_encoder, segmenter_config

SPEC = InputSpec(32, 32, IMAGENET_MEAN, IMAGENET_STD)


def _ramp(size: int = 32) -> np.ndarray:
    """An image whose left and right halves differ, so a mirrored copy is recognisable."""
    row = np.linspace(0, 255, size).astype(np.uint8)
    return np.repeat(np.repeat(row[None, :, None], size, axis=0), 3, axis=2)


def test_segmentation_crops_are_mirrored_together_with_their_masks():
    image, mask = _ramp(), np.zeros((32, 32), np.uint8)
    mask[:, :8] = 1  # artifact on the dark left side
    data = SegmentationArrays([image] * 8, [mask] * 8)
    pixels, masks = segmentation_batch(data, range(8), 32, SPEC, np.random.default_rng(0))
    plain, mirrored = normalize(image, SPEC), normalize(np.ascontiguousarray(image[:, ::-1]), SPEC)
    kinds = []
    for crop, crop_mask in zip(pixels, masks[:, 0]):
        if np.allclose(crop, plain):
            kinds.append("plain")
            assert crop_mask[:, :8].all() and not crop_mask[:, 8:].any()
        else:
            np.testing.assert_allclose(crop, mirrored)
            kinds.append("mirrored")
            assert crop_mask[:, -8:].all() and not crop_mask[:, :-8].any()
    assert set(kinds) == {"plain", "mirrored"}


def test_classifier_images_are_mirrored_only_in_training():
    data = ClassificationArrays(np.stack([_ramp()] * 8), np.zeros((8, 13), np.float32), np.ones(8, bool),
                                np.ones(8, np.float32))
    plain = normalize(_ramp(), SPEC)
    evaluation = classification_batch(data, range(8), SPEC)[0]
    assert all(np.allclose(p, plain) for p in evaluation)
    training = classification_batch(data, range(8), SPEC, np.random.default_rng(0))[0]
    assert 0 < sum(np.allclose(p, plain) for p in training) < 8


def test_the_classifier_takes_the_segmenters_blocks_and_keeps_its_own_head():
    torch.manual_seed(0)
    segmenter = build_model(segmenter_config(64))
    classifier = build_model(classifier_config(64))
    head_before = classifier.encoder._conv_head.weight.clone()
    copy_encoder(segmenter.encoder, classifier.encoder)
    for key, value in segmenter.encoder.state_dict().items():
        assert torch.equal(classifier.encoder.state_dict()[key], value), key
    assert torch.equal(classifier.encoder._conv_head.weight, head_before)


def test_an_encoder_with_nothing_in_common_is_refused():
    classifier = build_model(classifier_config(64))
    with pytest.raises(ValueError, match="shares no blocks"):
        copy_encoder(torch.nn.Linear(2, 2), classifier.encoder)
