"""The vision-language artifact classifier (SynArtifact's task, compact).

Image tower: EfficientNet-Lite0, pooled, projected to the text space, L2-normalised.
Text tower: frozen sentence embeddings of each class's prompts, stored in the model
as a buffer, so neither export nor the runtime needs the text model. Per class
``logit_k = scale * cos(image, text_k) + bias_k``; an untrained class keeps its
initial bias and is scored zero-shot by its prompt alone.

The "has artifact" logit is a linear head on the mean-pooled features, so it equals the
mean over positions of the same head applied at each position: that per-position map
(``artifact_map``, N x 1 x H/32 x W/32) is where the score comes from, and the runtime
outlines a flagged image's evidence with it. With ``stage_statistics`` the head also
reads the channel means and deviations of the encoder's feature maps
(models/stage_statistics.py), and the map shows which cells their term comes from; with
``nss`` it reads natural-scene statistics of the whole image (models/nss.py), one number
per image added to every position of the map.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from artifactsdk.models.encoder import HEAD_CHANNELS, EfficientNetLite0
from artifactsdk.models.nss import FEATURES as NSS_FEATURES, NaturalSceneStatistics
from artifactsdk.models.stage_statistics import FEATURES as STAGE_FEATURES, StageStatistics

TEXT_DIM = 384  # all-MiniLM-L6-v2
INITIAL_SCALE = 10.0
# A prior of about 5% positives per class before training.
INITIAL_BIAS = -3.0


class ArtifactClassifier(nn.Module):
    """N x 3 x H x W normalised RGB -> (class logits N x K, has-artifact logit N x 1), and with
    ``evidence`` also the has-artifact map N x 1 x H/32 x W/32 whose mean is that logit.
    ``score_encoder``: the has-artifact score reads an encoder of its own (frozen ImageNet
    weights, set by ``checkpoint.with_score_parts``), not the one the classes are trained on;
    ``stage_statistics``: the score also reads that encoder's feature-map statistics;
    ``nss``: the input's (mean, std) normalisation, to read natural-scene statistics too."""

    def __init__(self, num_classes: int, text_dim: int = TEXT_DIM, pooling: str = "mean",
                 evidence: bool = False, nss: tuple[tuple[float, ...], tuple[float, ...]] | None = None,
                 stage_statistics: bool = False, score_encoder: bool = False):
        super().__init__()
        if pooling not in ("mean", "max"):
            raise ValueError(f"pooling must be 'mean' or 'max', got {pooling!r}")
        if evidence and pooling != "mean":
            raise ValueError("an evidence map needs mean pooling: only then is the score the map's mean")
        self.pooling = pooling
        self.evidence = evidence
        self.encoder = EfficientNetLite0(with_head=True)
        self.score_encoder = EfficientNetLite0(with_head=True) if score_encoder else None
        self.projection = nn.Linear(HEAD_CHANNELS, text_dim)
        self.artifact_head = nn.Linear(HEAD_CHANNELS, 1)
        self.register_buffer("text_embeddings", torch.zeros(num_classes, text_dim))
        self.log_scale = nn.Parameter(torch.tensor(math.log(INITIAL_SCALE)))
        self.class_bias = nn.Parameter(torch.full((num_classes,), INITIAL_BIAS))
        self.nss = NaturalSceneStatistics(*nss) if nss else None
        if nss:
            # standardisation of the statistics (set when the head is fitted) and their weights
            self.register_buffer("nss_mean", torch.zeros(NSS_FEATURES))
            self.register_buffer("nss_std", torch.ones(NSS_FEATURES))
            self.nss_head = nn.Linear(NSS_FEATURES, 1, bias=False)
            nn.init.zeros_(self.nss_head.weight)
        self.stage_statistics = StageStatistics() if stage_statistics else None
        if stage_statistics:
            self.stage_head = nn.Linear(STAGE_FEATURES, 1, bias=False)
            nn.init.zeros_(self.stage_head.weight)

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

    def scene_statistics(self, pixels: torch.Tensor) -> torch.Tensor:
        """N x NSS_FEATURES standardised natural-scene statistics (needs ``nss``)."""
        return (self.nss(pixels) - self.nss_mean) / self.nss_std

    def image_term(self, pixels: torch.Tensor, features: list[torch.Tensor]) -> torch.Tensor | None:
        """N x 1: what the whole-image statistics add to the artifact logit (None without them)."""
        terms = []
        if self.nss is not None:
            terms.append(self.nss_head(self.scene_statistics(pixels)))
        if self.stage_statistics is not None:
            terms.append(self.stage_head(self.stage_statistics(features)))
        return sum(terms) if terms else None

    def artifact_map(self, pixels: torch.Tensor, features: list[torch.Tensor], head: torch.Tensor) -> torch.Tensor:
        """N x 1 x h x w over the N x C x h x w head features: the artifact head at each
        position, plus where the feature-map statistics' term comes from (its share of each
        cell), plus the scene statistics' term (one number per image) everywhere; its mean is
        the artifact logit."""
        weight = self.artifact_head.weight[:, :, None, None]
        logits = F.conv2d(head, weight, self.artifact_head.bias)
        if self.stage_statistics is not None:
            logits = logits + self.stage_statistics.contribution_map(features, self.stage_head.weight)
        if self.nss is not None:
            logits = logits + self.nss_head(self.scene_statistics(pixels))[:, :, None, None]
        return logits

    def score_reads(self, pixels: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """(feature maps, head features) of the encoder the has-artifact score reads."""
        encoder = self.score_encoder if self.score_encoder is not None else self.encoder
        features = encoder(pixels)
        return features, encoder.head_of(features)

    def forward(self, pixels: torch.Tensor):
        features, head = self.score_reads(pixels)
        class_head = head if self.score_encoder is None else self.encoder.head_features(pixels)
        class_pooled = self.encoder.pool(class_head, self.pooling)
        if not self.evidence:
            logit = self.artifact_head(self.encoder.pool(head, self.pooling))
            term = self.image_term(pixels, features)
            return self.class_logits(class_pooled), logit if term is None else logit + term
        evidence = self.artifact_map(pixels, features, head)
        return self.class_logits(class_pooled), evidence.mean(dim=(2, 3)), evidence
