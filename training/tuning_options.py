"""How `artifactsdk tune` fits the image score and thresholds (training/image_score.py), as one
settings object without torch, so the command can declare its options from it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TuningOptions:
    photo_quantile: float = 0.95        # share of clean photographs under the image thresholds
    class_quantile: float = 0.99        # ... under each class threshold (labels on clean photos)
    max_clean_area: float = 0.004       # mean detected area allowed on clean photographs
    ranking_weight: float = 3.0
    group_order_weight: float = 1.0
    same_group_weight: float = 2.0
    mos_margin: float = 0.2             # pairs closer than this in MOS are not ranked
    steps: int = 400
    lr: float = 0.01
    weight_decay: float = 1e-3
    seed: int = 0
    input_size: int | None = None       # run the classifier at this side (None: as trained)
    worse_groups: tuple[tuple[str, str], ...] = ()  # (worse, better) group pairs
