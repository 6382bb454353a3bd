"""The vision-language artifact classifier (SynArtifact's task, compact).

Image tower: EfficientNet-Lite0, pooled, projected to the text space, L2-normalised.
Text tower: frozen sentence embeddings of each class's prompts, stored in the model
as a buffer, so neither export nor the runtime needs the text model. Per class
``logit_k = scale * cos(image, text_k) + bias_k``; an untrained class keeps its
initial bias and is scored zero-shot by its prompt alone.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from artifactsdk.models.encoder import HEAD_CHANNELS, EfficientNetLite0

TEXT_DIM = 384  # all-MiniLM-L6-v2
INITIAL_SCALE = 10.0
# A prior of about 5% positives per class before training.
INITIAL_BIAS = -3.0


class ArtifactClassifier(nn.Module):
    """N x 3 x H x W normalised RGB -> (class logits N x K, has-artifact logit N x 1)."""

    def __init__(self, num_classes: int, text_dim: int = TEXT_DIM, pooling: str = "mean"):
        super().__init__()
        if pooling not in ("mean", "max"):
            raise ValueError(f"pooling must be 'mean' or 'max', got {pooling!r}")
        self.pooling = pooling
        self.encoder = EfficientNetLite0(with_head=True)
        self.projection = nn.Linear(HEAD_CHANNELS, text_dim)
        self.artifact_head = nn.Linear(HEAD_CHANNELS, 1)
        self.register_buffer("text_embeddings", torch.zeros(num_classes, text_dim))
        self.log_scale = nn.Parameter(torch.tensor(math.log(INITIAL_SCALE)))
        self.class_bias = nn.Parameter(torch.full((num_classes,), INITIAL_BIAS))

    def set_text_embeddings(self, embeddings: torch.Tensor) -> None:
        """Install K x D class embeddings (normalised here); K may differ from before,
        new classes get the initial bias, known ones keep theirs."""
        embeddings = F.normalize(embeddings.float(), dim=-1)
        old_bias = self.class_bias.detach()
        bias = torch.full((embeddings.shape[0],), INITIAL_BIAS)
        keep = min(len(old_bias), len(bias))
        bias[:keep] = old_bias[:keep]
        self.text_embeddings = embeddings
        self.class_bias = nn.Parameter(bias)

    def image_embedding(self, pooled: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.projection(pooled), dim=-1)

    def class_logits(self, pooled: torch.Tensor) -> torch.Tensor:
        """Per-class logits from pooled encoder features: scale * cos(image, text_k) + bias_k."""
        cosine = self.image_embedding(pooled) @ self.text_embeddings.t()
        return self.log_scale.exp() * cosine + self.class_bias

    def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = self.encoder.pooled(pixels, self.pooling)
        return self.class_logits(pooled), self.artifact_head(pooled)
