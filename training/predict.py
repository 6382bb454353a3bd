"""Torch predictors for checkpoints: one uint8 RGB image in, numpy probabilities out.

They follow the runtime's contract (stretch-resize to the model input, normalise with
artifactsdk.preprocess) so `artifactsdk eval` on a checkpoint measures what a bundle
will do; other backends plug into training.evaluate with the same call signatures.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from artifactsdk.preprocess import InputSpec, to_tensor


class SegmenterPredictor:
    """image (HxWx3 uint8) -> HxW artifact probabilities at the image's own size."""

    def __init__(self, model: torch.nn.Module, spec: InputSpec):
        self.model, self.spec = model.eval(), spec

    @torch.inference_mode()
    def __call__(self, image: np.ndarray) -> np.ndarray:
        logits = self.model(torch.from_numpy(to_tensor(image, self.spec)))
        if logits.shape[-2:] != image.shape[:2]:
            logits = F.interpolate(logits, size=image.shape[:2], mode="bilinear", align_corners=False)
        return torch.sigmoid(logits)[0, 0].numpy()


class ClassifierPredictor:
    """image -> (K class probabilities, has-artifact probability)."""

    def __init__(self, model: torch.nn.Module, spec: InputSpec):
        self.model, self.spec = model.eval(), spec

    @torch.inference_mode()
    def __call__(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        class_logits, artifact_logit = self.model(torch.from_numpy(to_tensor(image, self.spec)))[:2]
        return torch.sigmoid(class_logits)[0].numpy(), float(torch.sigmoid(artifact_logit)[0, 0])


def predictor_for(model: torch.nn.Module, config: dict):
    """The predictor matching a checkpoint's task."""
    spec = InputSpec.from_manifest(config["input"])
    return (SegmenterPredictor if config["task"] == "segmentation" else ClassifierPredictor)(model, spec)
