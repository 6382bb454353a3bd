"""Do two precisions of a classifier name the same artifacts? The share of images whose
label sets (trained classes over their thresholds, as `Detector` forms them) are equal.

A classifier can keep its macro-F1 in int8 while many single labels flip: when its
probabilities sit near the tuned thresholds, a small output change moves them across.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from artifactsdk.postprocess import segmenter_image_score
from artifactsdk.thresholds import Thresholds, labels_over


def label_sets(predict: Callable, config: dict, images: Sequence[np.ndarray]) -> list[frozenset]:
    """Each image's labels under `predict` (image -> (class probabilities, artifact probability))."""
    thresholds = Thresholds.of(config.get("thresholds"))
    trained = config.get("trained_classes")
    sets = []
    for image in images:
        probabilities, _ = predict(image)
        scores = {label["key"]: float(probabilities[label["index"]]) for label in config["labels"]}
        sets.append(frozenset(labels_over(scores, thresholds, trained)))
    return sets


def verdicts(role: str, predict: Callable, config: dict, images: Sequence[np.ndarray]) -> list[bool]:
    """Each image's verdict at the model's own tuned threshold, as the runtime scores it: the
    classifier's artifact probability against "artifact", the segmenter's image score against "image"."""
    thresholds = Thresholds.of(config.get("thresholds"))
    if role == "classifier":
        return [predict(image)[1] >= thresholds["artifact"] for image in images]
    return [segmenter_image_score(predict(image), config.get("image_score")) >= thresholds["image"]
            for image in images]


def agreement(reference: Sequence[frozenset], candidate: Sequence[frozenset]) -> float:
    """The share of images with exactly the same label set."""
    if len(reference) != len(candidate) or not reference:
        raise ValueError(f"label agreement needs two equally long, non-empty lists; got {len(reference)} "
                         f"and {len(candidate)} images.")
    return sum(a == b for a, b in zip(reference, candidate)) / len(reference)
