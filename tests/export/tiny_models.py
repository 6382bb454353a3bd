"""Tiny torch models with the default models' interfaces, for fast export tests (64x64 inputs)."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from artifactsdk.preprocess import IMAGENET_MEAN, IMAGENET_STD, InputSpec

SPEC = InputSpec(64, 64, IMAGENET_MEAN, IMAGENET_STD)
NUM_CLASSES = 13


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU6())


class TinySegmenter(nn.Module):
    """pixels [N,3,H,W] -> artifact logits [N,1,H,W]."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(_block(3, 8, 2), _block(8, 8, 1))
        self.head = nn.Conv2d(8, 1, 1)

    def forward(self, pixels):
        logits = self.head(self.encoder(pixels))
        return F.interpolate(logits, size=pixels.shape[-2:], mode="bilinear", align_corners=False)


class TinyClassifier(nn.Module):
    """pixels [N,3,64,64] -> (class logits [N,13], artifact logit [N,1]); text embeddings are a buffer."""

    def __init__(self, embed: int = 16):
        super().__init__()
        self.encoder = nn.Sequential(_block(3, 8, 2), _block(8, 16, 2))
        self.project = nn.Linear(16, embed)
        self.artifact = nn.Linear(16, 1)
        self.register_buffer("text", F.normalize(torch.randn(NUM_CLASSES, embed), dim=-1))
        self.scale = nn.Parameter(torch.tensor(10.0))
        self.bias = nn.Parameter(torch.zeros(NUM_CLASSES))

    def forward(self, pixels):
        pooled = self.encoder(pixels).mean(dim=(2, 3))
        image = F.normalize(self.project(pooled), dim=-1)
        return self.scale * image @ self.text.t() + self.bias, self.artifact(pooled)


def randomized(model_class: type, seed: int = 0) -> nn.Module:
    """A model with seeded random weights and batch-norm statistics (so folding BN is
    really exercised), in eval mode."""
    torch.manual_seed(seed)
    model = model_class()
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


def segmenter_config() -> dict:
    return {"task": "segmentation", "architecture": "tiny_segmenter", "input": SPEC.to_manifest(),
            "labels": [{"index": 0, "key": "clean", "name": "clean"},
                       {"index": 1, "key": "artifact", "name": "artifact"}],
            "trained_classes": ["artifact"], "thresholds": {"pixel": 0.5, "image": 0.5}}


def classifier_config() -> dict:
    from artifactsdk import taxonomy

    return {"task": "classification", "architecture": "tiny_classifier", "input": SPEC.to_manifest(),
            "labels": [c.to_dict() for c in taxonomy.CLASSES],
            "trained_classes": [c.key for c in taxonomy.CLASSES if c.injectable],
            "thresholds": {"artifact": 0.5, "classes": {c.key: 0.5 for c in taxonomy.CLASSES}}}


def save_weights(model: nn.Module, directory) -> Path:
    """model.safetensors of `model` in fp16, as the shipped checkpoints are stored."""
    from safetensors.torch import save_file

    path = Path(directory) / "model.safetensors"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().half().contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


class BrightnessSegmenter(nn.Module):
    """Marks pixels brighter than the ImageNet mean: a segmenter whose fp32 IoU on
    bright-square images is 1, so an accuracy loss under int8 is easy to provoke."""

    def __init__(self):
        super().__init__()
        self.head = nn.Conv2d(3, 1, 1)
        with torch.no_grad():
            self.head.weight.fill_(10.0 / 3)
            self.head.bias.zero_()

    def forward(self, pixels):
        return self.head(pixels)
