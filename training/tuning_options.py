"""How `artifactsdk tune` fits the image score and thresholds (training/image_score.py), as one
settings object without torch, so the command can declare its options from it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TuningOptions:
    # share of clean photographs under the image thresholds: 96 % of the training photographs,
    # so that sampling (about +-1.3 points on 281 photographs) keeps other photographs under 5 %
    photo_quantile: float = 0.96
    class_quantile: float = 0.99        # ... under each class threshold (labels on clean photos)
    max_clean_area: float = 0.004       # mean detected area allowed on clean photographs
    seed: int = 0
    input_size: int | None = None       # run the classifier at this side (None: as trained)
    # ridge strengths tried for the image score; leave-one-generator-out folds choose one
    ridge_alphas: tuple[float, ...] = (300.0, 1000.0, 3000.0, 10000.0)
