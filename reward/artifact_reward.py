"""`ArtifactReward`: the detector as a reward for generator training and selection.

The call has the shape DDPO's and Flow-GRPO's reward functions have,
`reward(images, prompts, metadata) -> (rewards, info)`, with rewards float32, higher =
fewer artifacts. Images may be torch tensors, numpy arrays, PIL images, paths or bytes
(artifactsdk.reward.images). An image that cannot be read gets the reward NaN, is_artifact
None and an entry in info["errors"]; the others are scored.
"""

from __future__ import annotations

import logging
import math
import os

import numpy as np

from artifactsdk.detection import DetectionFailure
from artifactsdk.detector import Detector
from artifactsdk.detector_settings import DetectorSettings
from artifactsdk.errors import InvalidInputError
from artifactsdk.reward.images import split_batch
from artifactsdk.taxonomy import BY_KEY

log = logging.getLogger(__name__)
REDUCTIONS = ("score", "area", "weighted")


class ArtifactReward:
    """reduce: "score" = 1 - artifact_score; "area" = 1 - the share of the image marked as
    artifact; "weighted" = 1 - the class probabilities' mean weighted by `class_weights`
    (class key -> weight; default 1 for every class the classifier scores).

    Thread-safe: it holds a Detector (which is) and nothing that changes after construction.
    """

    def __init__(self, detector: Detector | DetectorSettings | str | os.PathLike = "default", *, reduce: str = "score",
                 class_weights: dict[str, float] | None = None, batch_size: int = 8, **options):
        """`detector`: a loaded Detector to share (left open by `close`), or what Detector.load
        takes: DetectorSettings, or a bundle with DetectorSettings' other fields as keywords
        (`options`: ArtifactReward("default", threads=1))."""
        if reduce not in REDUCTIONS:
            raise InvalidInputError(f"unknown reduce {reduce!r}; expected one of {', '.join(REDUCTIONS)}")
        if class_weights is not None and reduce != "weighted":
            raise InvalidInputError(f"class_weights are used by reduce='weighted' only, not {reduce!r}")
        if batch_size < 1:
            raise InvalidInputError(f"batch_size must be at least 1, got {batch_size}")
        self.reduce = reduce
        self.batch_size = batch_size
        self.class_weights = _checked_weights(class_weights)
        if isinstance(detector, Detector) and options:
            raise InvalidInputError(f"a loaded Detector is shared as it is; {', '.join(options)} cannot change it")
        self._owns_detector = not isinstance(detector, Detector)
        self.detector = Detector.load(detector, **options) if self._owns_detector else detector
        if reduce == "weighted" and "classifier" not in self.detector.describe()["models"]:
            raise InvalidInputError("reduce='weighted' weighs the classifier's class scores, but this bundle "
                                    "has no classifier; use reduce='score' or 'area'.")

    def __call__(self, images, prompts=None, metadata=None, *, keep_detections: bool = True) -> tuple[np.ndarray, dict]:
        """Score a batch. `prompts` and `metadata` are accepted for the trainers' signature
        and not used: the reward looks at the pixels only.

        info: "artifact_score", "area" (float32 arrays, NaN for an image that could not be
        read), "is_artifact" (True, False, or None for an image that could not be read: a
        failure never reads as clean), "labels" (tuple of class keys per image),
        "detections" (Detection or None per image; left out with `keep_detections=False`,
        which frees each model batch's decoded pixels as soon as it is scored) and "errors"
        (index, error, error_type per image that could not be read).
        """
        items = split_batch(images)
        detections, errors = [], []
        for start in range(0, len(items), self.batch_size):  # one model batch decoded at a time
            for index, outcome in enumerate(self.detector.detect_batch(items[start:start + self.batch_size],
                                                                       self.batch_size), start):
                if isinstance(outcome, DetectionFailure):  # unreadable, or its inference failed
                    errors.append({"index": index, "error": outcome.error, "error_type": outcome.error_type})
                    log.warning("image %d of the batch is skipped: %s", index, outcome.error)
                    outcome = None
                detections.append(outcome)
        rewards, info = self._rewards(detections), self._info(detections, errors)
        if not keep_detections:
            del info["detections"]
        return rewards, info

    def reward_of(self, detection) -> float:
        """The reward of one Detection under this reward's `reduce`."""
        if self.reduce == "score":
            return 1.0 - detection.artifact_score
        if self.reduce == "area":
            return 1.0 - detection.artifact_area
        weights = self.class_weights or dict.fromkeys(detection.scores, 1.0)
        total = sum(weights.values())
        return 1.0 - sum(weight * detection.scores.get(key, 0.0) for key, weight in weights.items()) / total

    def _rewards(self, detections) -> np.ndarray:
        return np.array([math.nan if d is None else self.reward_of(d) for d in detections], dtype=np.float32)

    @staticmethod
    def _info(detections, errors: list[dict]) -> dict:
        def column(read, dtype, missing):
            return np.array([missing if d is None else read(d) for d in detections], dtype=dtype)

        return {"artifact_score": column(lambda d: d.artifact_score, np.float32, math.nan),
                "area": column(lambda d: d.artifact_area, np.float32, math.nan),
                "is_artifact": [None if d is None else d.is_artifact for d in detections],
                "labels": [() if d is None else d.labels for d in detections],
                "detections": detections, "errors": errors}

    def close(self) -> None:
        """Close the Detector if this reward loaded it (a shared one stays open)."""
        if self._owns_detector:
            self.detector.close()

    def __enter__(self) -> "ArtifactReward":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ArtifactReward(reduce={self.reduce!r}, batch_size={self.batch_size}, {self.detector!r})"


def _checked_weights(class_weights: dict[str, float] | None) -> dict[str, float] | None:
    if class_weights is None:
        return None
    unknown = [key for key in class_weights if key not in BY_KEY]
    if unknown:
        raise InvalidInputError(f"class_weights names unknown classes {', '.join(map(repr, unknown))}; "
                                f"known: {', '.join(BY_KEY)}")
    weights = {key: float(weight) for key, weight in class_weights.items()}
    if any(not math.isfinite(w) or w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise InvalidInputError(f"class_weights must be finite, non-negative and not all zero, got {weights}")
    return weights
