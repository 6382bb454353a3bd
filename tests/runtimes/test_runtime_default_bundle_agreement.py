"""Acceptance: the shipped int8 bundle agrees with the shipped torch weights it was made
from, through ORT fp32 and torch from a bundle exported here (the shipped bundle keeps
int8 only).

Verdicts: the same on >= 95 % of a held-out synthetic set. Masks: pooled IoU of the binary
masks (pixel threshold) over the images both flag (only a flagged image has a mask, so a
verdict that differs is counted once, above), int8 vs torch >= 0.80: a flagged image's mask
holds the strongest 16 of the classifier's 256 evidence cells, and int8 (the map's SNR is
21 dB) swaps a few of them at the cut (0.83 measured; the segmenter's masks alone gave 0.96
before the map). Labels: the same label set on >= 95 % of the images. Run with `pytest -s`
to see the figures.
"""

import json

import numpy as np
import pytest

from artifactsdk import Detector
from artifactsdk.bundle import Bundle

HELDOUT_SEED = 20261123  # not the export's calibration or evaluation seed, nor the samples'
HELDOUT_COUNT = 60

pytestmark = pytest.mark.slow


def _agreement(reference, candidate) -> dict:
    intersection = union = 0
    same_labels = 0
    for a, b in zip(reference, candidate):
        same_labels += set(a.labels) == set(b.labels)
        if a.is_artifact and b.is_artifact:
            ma, mb = a.binary_mask(), b.binary_mask()
            intersection += int(np.logical_and(ma, mb).sum())
            union += int(np.logical_or(ma, mb).sum())
    return {"mask_iou": intersection / union if union else 1.0, "labels_match": same_labels / len(reference),
            "flag_match": float(np.mean([a.is_artifact == b.is_artifact for a, b in zip(reference, candidate)]))}


@pytest.fixture(scope="module")
def heldout():
    synth = pytest.importorskip("artifactsdk.training.synth")
    bundle = Bundle.open("default")
    size = bundle.model("segmenter")["input"]["height"] if "segmenter" in bundle.roles else 256
    config = synth.SynthConfig(size=max(64, size))
    return [synth.generate_sample(HELDOUT_SEED, i, config).image for i in range(HELDOUT_COUNT)]


@pytest.fixture(scope="module")
def agreement(heldout, reference_bundle):
    results = {}
    for name, (bundle, options) in {"torch": (reference_bundle, {"backend": "torch"}),
                                    "fp32": (reference_bundle, {"backend": "ort-cpu", "precision": "fp32"}),
                                    "int8": ("default", {"backend": "ort-cpu", "precision": "int8"})}.items():
        with Detector.load(bundle, **options) as detector:
            results[name] = [detector.detect(image) for image in heldout]
    report = {"images": len(heldout), "int8_vs_torch": _agreement(results["torch"], results["int8"]),
              "fp32_vs_torch": _agreement(results["torch"], results["fp32"]),
              "int8_vs_fp32": _agreement(results["fp32"], results["int8"])}
    print("\nbackend agreement on the default bundle:", json.dumps(report, indent=2))
    return report


def test_ort_fp32_and_torch_agree_on_the_default_bundle(agreement):
    assert agreement["fp32_vs_torch"]["flag_match"] >= 0.99
    assert agreement["fp32_vs_torch"]["mask_iou"] >= 0.99
    assert agreement["fp32_vs_torch"]["labels_match"] >= 0.99


def test_ort_int8_verdicts_and_masks_agree_with_torch_on_the_default_bundle(agreement):
    assert agreement["int8_vs_torch"]["flag_match"] >= 0.95
    assert agreement["int8_vs_torch"]["mask_iou"] >= 0.80


def test_ort_int8_labels_agree_with_torch_on_the_default_bundle(agreement):
    assert agreement["int8_vs_torch"]["labels_match"] >= 0.95
