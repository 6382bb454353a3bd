"""The synthetic artifact engine: one clean image in, 0-3 labelled artifacts out.

The label is honest by construction: after each injection, pixels whose change is
within ``CHANGE_TOLERANCE`` grey levels are put back exactly, the rest form that
artifact's mask. So every pixel outside the union mask equals the clean image, and
every box encloses the pixels its artifact changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from artifactsdk import taxonomy
from artifactsdk.errors import InvalidInputError
from artifactsdk.training.datasets import Annotation
from artifactsdk.training.synth.camera import apply_camera_effects, pick_camera_effects
from artifactsdk.training.synth.captions import caption
from artifactsdk.training.synth.injectors import INJECTABLE_CLASSES, INJECTORS
from artifactsdk.training.synth.placement import glyph_region, sample_centre, structure_map
from artifactsdk.training.synth.shapes import random_region, support_window
from artifactsdk.training.synth.sources import clean_image
from artifactsdk.training.synth.text import stamp_sign

CHANGE_TOLERANCE = 3      # grey levels; smaller changes are reverted, larger ones are labelled
MIN_ARTIFACT_FRACTION = 0.002  # an injection that changes less of the image is discarded,
MIN_MEAN_CHANGE = 6.0          # and so is one that changes it by fewer grey levels on average
ATTEMPTS_PER_ARTIFACT = 4
_ARTIFACT_COUNT_WEIGHTS = (0.55, 0.3, 0.15)  # P(1), P(2), P(3) artifacts in a positive
_MAJORITY_WINDOW = 7


@dataclass(frozen=True)
class SynthConfig:
    size: int = 512
    classes: tuple[int, ...] = INJECTABLE_CLASSES
    negative_fraction: float = 0.15
    max_artifacts: int = 3
    photos: tuple[str, ...] = ()  # folders of real photographs to use as clean bases
    camera_effect_fraction: float = 0.0  # share of bases given hard-negative camera effects

    def __post_init__(self) -> None:
        unknown = [c for c in self.classes if c not in INJECTORS]
        if not self.classes or unknown:
            raise InvalidInputError(f"classes {list(self.classes)}: expected a non-empty subset of the "
                                    f"injectable classes {list(INJECTABLE_CLASSES)}")
        if self.size < 64:
            raise InvalidInputError(f"size {self.size}: expected at least 64 pixels")
        if not 0.0 <= self.negative_fraction <= 1.0:
            raise InvalidInputError(f"negative_fraction {self.negative_fraction}: expected 0..1")
        if not 1 <= self.max_artifacts <= len(_ARTIFACT_COUNT_WEIGHTS):
            raise InvalidInputError(f"max_artifacts {self.max_artifacts}: expected 1..3")
        if not 0.0 <= self.camera_effect_fraction <= 1.0:
            raise InvalidInputError(f"camera_effect_fraction {self.camera_effect_fraction}: expected 0..1")

    def to_dict(self) -> dict:
        return {"size": self.size, "classes": [taxonomy.get(c).key for c in self.classes],
                "class_indices": list(self.classes), "negative_fraction": self.negative_fraction,
                "max_artifacts": self.max_artifacts, "photos": list(self.photos),
                "camera_effect_fraction": self.camera_effect_fraction}


@dataclass(frozen=True)
class SynthSample:
    image: np.ndarray                       # HxWx3 uint8 RGB, with the artifacts
    clean: np.ndarray                       # HxWx3 uint8 RGB, before them
    mask: np.ndarray                        # HxW uint8 0/1, union of the artifacts' masks
    annotations: tuple[Annotation, ...]
    source: str = ""                        # where the clean image came from
    masks: tuple[np.ndarray, ...] = field(default=(), repr=False)  # one HxW bool per annotation

    def to_dict(self) -> dict:
        return {"source": self.source, "height": int(self.image.shape[0]),
                "width": int(self.image.shape[1]), "mask_pixels": int(self.mask.sum()),
                "annotations": [a.to_dict() for a in self.annotations]}


def generate_sample(seed: int, index: int, config: SynthConfig = SynthConfig()) -> SynthSample:
    """The sample number ``index`` of the set made with ``seed``; the same arguments
    always give the same arrays."""
    if seed < 0 or index < 0:
        raise InvalidInputError(f"seed {seed} and index {index}: expected non-negative integers")
    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    clean, source = clean_image(rng, config.size, config.photos)
    effects = pick_camera_effects(rng, config.camera_effect_fraction)
    if effects:  # hard negatives: part of the clean image, never of a mask
        clean = apply_camera_effects(clean, rng, effects)
        source = f"{source} +{'+'.join(effects)}"
    if rng.random() < config.negative_fraction:
        return SynthSample(clean, clean, np.zeros(clean.shape[:2], np.uint8), (), source)
    return _Composer(clean, source, rng).compose(_pick_classes(rng, index, config))


def _pick_classes(rng: np.random.Generator, index: int, config: SynthConfig) -> list[int]:
    """Distinct classes; the first cycles with ``index`` so that every class occurs even
    in a short run. Illegible letters go first: they stamp text on the clean image."""
    weights = np.array(_ARTIFACT_COUNT_WEIGHTS[:config.max_artifacts])
    count = 1 + int(rng.choice(len(weights), p=weights / weights.sum()))
    primary = config.classes[index % len(config.classes)]
    others = [c for c in config.classes if c != primary]
    extra = rng.permutation(others)[:count - 1].tolist() if others else []
    return sorted([primary, *extra], key=lambda c: c != 0)


class _Composer:
    """Applies injections one after another and keeps the clean image, the running
    image and every artifact's mask consistent."""

    def __init__(self, clean: np.ndarray, source: str, rng: np.random.Generator):
        self.clean = clean
        self.image = clean.copy()
        self.source = source
        self.rng = rng
        self.height, self.width = clean.shape[:2]
        self.structure = structure_map(clean)
        self.occupied = np.zeros((self.height, self.width), bool)
        self.annotations: list[Annotation] = []
        self.masks: list[np.ndarray] = []

    def compose(self, classes: list[int]) -> SynthSample:
        for class_index in classes:
            self._add(class_index)
        fallbacks = [c for c in (11, 8, 9) if c in INJECTORS]
        while not self.annotations and fallbacks:  # a positive must carry an artifact
            self._add(fallbacks.pop(0))
        union = np.zeros((self.height, self.width), np.uint8)
        for mask in self.masks:
            union |= mask.astype(np.uint8)
        return SynthSample(self.image, self.clean, union, tuple(self.annotations), self.source,
                           tuple(self.masks))

    def _add(self, class_index: int) -> None:
        spec = INJECTORS[class_index]
        line = None
        if spec.placement == "text":
            stamped = stamp_sign(self.clean, self.rng, self.occupied)
            if stamped is None:
                return
            # Legible text is part of the clean scene; only its corruption is the artifact.
            before = self.clean
            self.clean, line = stamped
            changed = np.any(self.clean != before, axis=2)
            self.image = np.where(changed[..., None], self.clean, self.image)
        for _ in range(ATTEMPTS_PER_ARTIFACT):
            if self._try(class_index, line):
                return

    def _try(self, class_index: int, line) -> bool:
        spec = INJECTORS[class_index]
        rng = self.rng
        if line is not None:
            region = glyph_region(line, rng, self.height, self.width)
        else:
            weights = self.structure if spec.placement == "structure" else None
            centre = sample_centre(rng, weights, self.occupied, self.height, self.width)
            area = float(np.exp(rng.uniform(*np.log(spec.area))))
            feather = None if spec.feather is None else float(rng.uniform(*spec.feather))
            region = random_region(rng, self.height, self.width, area, centre, feather=feather)
        if not region.support.any():  # the shape fell off the image
            return False
        strength = float(rng.uniform(0.15, 1.0))
        injection = spec.function(self.image.astype(np.float32), region, rng, strength)
        mask = self._commit(injection.image, injection.region.support)
        if mask is None:
            return False
        box = _box(mask)
        self.annotations.append(Annotation(box, class_index, caption(
            class_index, injection.variant, box, self.height, self.width, rng)))
        self.masks.append(mask)
        self.occupied |= ndimage.binary_dilation(mask, iterations=max(2, self.height // 64))
        return True

    def _commit(self, result: np.ndarray, support: np.ndarray) -> np.ndarray | None:
        """Keep the pixels the injection really changed (within its region); return their
        mask, or None (and keep nothing) when too little changed."""
        new = np.clip(np.rint(result), 0, 255).astype(np.uint8)
        ys, xs = support_window(support, 3)
        before = self.image[ys, xs]
        delta = np.abs(new[ys, xs].astype(np.int16) - before).max(axis=2)
        allowed = ndimage.binary_dilation(support[ys, xs], iterations=2)
        # Changed: clearly (above tolerance), or slightly but together with its neighbours
        # (a blurred patch of fine grain changes every pixel by a level or two).
        coherent = ndimage.uniform_filter(delta.astype(np.float32), 5) > CHANGE_TOLERANCE / 2
        changed = ((delta > CHANGE_TOLERANCE) | (coherent & (delta > 0))) & allowed
        # Label regions, not speckle: a pixel most of whose neighbours changed belongs to
        # the artifact even if its own change stayed within tolerance.
        majority = ndimage.uniform_filter(changed.astype(np.float32), _MAJORITY_WINDOW) > 0.5
        changed = ndimage.binary_fill_holes(changed | majority) & allowed
        if (changed.sum() < MIN_ARTIFACT_FRACTION * self.height * self.width
                or delta[changed].mean() < MIN_MEAN_CHANGE):
            return None
        window = self.image[ys, xs]
        window[changed] = new[ys, xs][changed]
        mask = np.zeros((self.height, self.width), bool)
        mask[ys, xs] = changed
        return mask


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = support_window(mask)
    return int(xs.start), int(ys.start), int(xs.stop), int(ys.stop)
