"""The detector's thresholds: their keys and one default, the one shape they are stored in,
the value a Detector uses (stored + a caller's overrides, checked once), and the rule that
turns class scores into labels.

Stored shape, the same in checkpoint configs and in manifests (per model): level keys with
numbers, and "classes": {class key: threshold}. Manifests written before this shape kept a
class's threshold on its label ("threshold"); `stored_thresholds` reads both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType

from artifactsdk.errors import InvalidInputError
from artifactsdk.limits import unit_interval

DEFAULT_THRESHOLD = 0.5  # what an untuned threshold is: a model's probability at even odds
CLASSES = "classes"
# pixel: segmenter pixel probability (masks, regions); image: segmenter image score;
# artifact: classifier image probability; class: a label without its own threshold;
# cascade and decision: on the calibrated scale of artifact_score (0.5 = at the threshold).
DEFAULT_THRESHOLDS = MappingProxyType({"pixel": DEFAULT_THRESHOLD, "image": DEFAULT_THRESHOLD,
                                       "artifact": DEFAULT_THRESHOLD, "class": DEFAULT_THRESHOLD,
                                       "cascade": 0.3, "decision": DEFAULT_THRESHOLD})


def check_overrides(overrides: Mapping | None, what: str = "thresholds") -> dict[str, float]:
    """Level thresholds (no "classes"): known keys, finite numbers in [0, 1] (InvalidInputError)."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise InvalidInputError(f"{what} must be a dict, got {type(overrides).__name__}.")
    unknown = sorted(set(map(str, overrides)) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise InvalidInputError(f"unknown {what} {unknown}; expected keys among {', '.join(DEFAULT_THRESHOLDS)}.")
    return {key: unit_interval(f"{what}[{key!r}]", value) for key, value in overrides.items()}


def untuned(levels: Iterable[str], classes: Iterable[str] = ()) -> dict:
    """The stored thresholds of a model nothing has tuned yet: DEFAULT_THRESHOLD everywhere."""
    stored: dict = dict.fromkeys(levels, DEFAULT_THRESHOLD)
    if classes:
        stored[CLASSES] = dict.fromkeys(classes, DEFAULT_THRESHOLD)
    return stored


def stored_thresholds(model: Mapping) -> dict:
    """One manifest model's thresholds in the stored shape, class thresholds of older
    manifests (on the labels) included."""
    stored = dict(model.get("thresholds", {}))
    on_labels = {label["key"]: label["threshold"] for label in model.get("labels", ()) if "threshold" in label}
    if on_labels or CLASSES in stored:
        stored[CLASSES] = {**on_labels, **stored.get(CLASSES, {})}
    return stored


@dataclasses.dataclass(frozen=True)
class Thresholds(Mapping):
    """Every level threshold (a Mapping of DEFAULT_THRESHOLDS' keys) and the classes' own.
    Make it with `Thresholds.of`; read a level with thresholds["pixel"], a class with `of_class`."""

    levels: Mapping[str, float] = dataclasses.field(default_factory=lambda: DEFAULT_THRESHOLDS)
    classes: Mapping[str, float] = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, *stored: Mapping | None, overrides: Mapping | None = None) -> "Thresholds":
        """The defaults, then each stored dict (the stored shape; later ones win), then a
        caller's level overrides, every value checked."""
        levels, classes = dict(DEFAULT_THRESHOLDS), {}
        for one in stored:
            one = dict(one or {})
            given = one.pop(CLASSES, None) or {}
            levels.update(check_overrides(one, "stored thresholds"))
            classes.update({str(key): unit_interval(f"the threshold of class {key!r}", value)
                            for key, value in given.items()})
        levels.update(check_overrides(overrides))
        return cls(MappingProxyType(levels), MappingProxyType(classes))

    def __getitem__(self, key: str) -> float:
        return self.levels[key]

    def __iter__(self):
        return iter(self.levels)

    def __len__(self) -> int:
        return len(self.levels)

    def of_class(self, key: str) -> float:
        """A class's own threshold, else the "class" level."""
        return self.classes.get(key, self.levels["class"])

    def to_dict(self, classes: Iterable[str] | None = None) -> dict:
        """The stored shape, with every level; "classes" holds `classes` (default: those with
        their own threshold) at the threshold each one is judged by."""
        keys = self.classes if classes is None else classes
        return {**self.levels, CLASSES: {key: self.of_class(key) for key in keys}}


def labels_over(scores: Mapping[str, float], thresholds: Thresholds,
                trained: Collection[str] | None = None) -> tuple[str, ...]:
    """The label rule, the same for the runtime and the exporter: the classes whose score
    reaches their threshold, best first. Only `trained` classes (all when None or empty)
    can be labels: a class the classifier never saw an example of has a score with no meaning."""
    passed = [(score, key) for key, score in scores.items()
              if (not trained or key in trained) and score >= thresholds.of_class(key)]
    return tuple(key for _, key in sorted(passed, key=lambda item: -item[0]))
