"""Datasets held in memory as arrays, and the seeded batches drawn from them.

Training sets here are a few thousand images, so decoding them once and keeping the
uint8 pixels in RAM beats re-reading files every epoch on a 2-core machine. Batches
are normalised with artifactsdk.preprocess.normalize, the function the runtime uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from PIL import Image

from artifactsdk import taxonomy
from artifactsdk.errors import DatasetError
from artifactsdk.preprocess import InputSpec, normalize, resize_rgb


@dataclass(frozen=True)
class SegmentationArrays:
    images: list[np.ndarray]  # HxWx3 uint8 RGB
    masks: list[np.ndarray]  # HxW uint8 0/1

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, indices: Sequence[int]) -> "SegmentationArrays":
        return SegmentationArrays([self.images[i] for i in indices], [self.masks[i] for i in indices])


@dataclass(frozen=True)
class ClassificationArrays:
    images: np.ndarray  # N x H x W x 3 uint8, already at the model's input size
    classes: np.ndarray  # N x K float32 multi-hot
    labelled: np.ndarray  # N bool: False when only "has artifact" is known (mask, no boxes)
    has_artifact: np.ndarray  # N float32

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, indices: Sequence[int]) -> "ClassificationArrays":
        index = np.asarray(indices, dtype=np.int64)
        return ClassificationArrays(self.images[index], self.classes[index], self.labelled[index],
                                    self.has_artifact[index])


def _resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    if mask.shape == (height, width):
        return mask
    return np.asarray(Image.fromarray(mask).resize((width, height), Image.NEAREST))


def segmentation_arrays(samples: Iterable, min_size: int) -> SegmentationArrays:
    """Images and masks of the samples that have a mask; images smaller than ``min_size``
    on a side are resized up to it."""
    images, masks = [], []
    for sample in samples:
        if sample.mask is None:
            continue
        image, mask = sample.image, (np.asarray(sample.mask) > 0).astype(np.uint8)
        height, width = image.shape[:2]
        if min(height, width) < min_size:
            height, width = max(height, min_size), max(width, min_size)
            image, mask = resize_rgb(image, height, width), _resize_mask(mask, height, width)
        images.append(image)
        masks.append(mask)
    if not images:
        raise DatasetError("no sample in the dataset has a mask; the segmenter trains on per-pixel "
                           "masks (synthetic engine or PAL layout)")
    return SegmentationArrays(images, masks)


def class_targets(sample) -> tuple[np.ndarray, bool, float]:
    """(multi-hot over the taxonomy, whether the classes are known, has-artifact)."""
    target = np.zeros(taxonomy.NUM_CLASSES, dtype=np.float32)
    if sample.annotations is None:
        has = float(sample.mask is not None and np.any(sample.mask))
        return target, False, has
    for annotation in sample.annotations:
        target[int(annotation.class_index)] = 1.0
    return target, True, float(len(sample.annotations) > 0)


def classification_arrays(samples: Iterable, size: int) -> ClassificationArrays:
    """Samples resized to ``size`` x ``size`` (stretch, as the runtime does) with their targets."""
    images, classes, labelled, has_artifact = [], [], [], []
    for sample in samples:
        if sample.annotations is None and sample.mask is None:
            continue
        target, known, has = class_targets(sample)
        images.append(resize_rgb(sample.image, size, size))
        classes.append(target)
        labelled.append(known)
        has_artifact.append(has)
    if not images:
        raise DatasetError("no sample in the dataset has annotations or a mask; the classifier needs "
                           "class boxes (SynArtifact layout, synthetic engine) or at least masks")
    return ClassificationArrays(np.stack(images), np.stack(classes), np.asarray(labelled),
                                np.asarray(has_artifact, dtype=np.float32))


def split_indices(count: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices: a seeded shuffle, the first ``val_fraction`` for validation."""
    order = np.random.default_rng(seed).permutation(count)
    n_val = int(round(count * val_fraction)) if count > 1 else 0
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _crop_origin(mask: np.ndarray, crop: int, rng: np.random.Generator, focus: bool) -> tuple[int, int]:
    height, width = mask.shape
    if focus:
        ys, xs = np.nonzero(mask)
        if len(ys):
            pick = rng.integers(len(ys))
            top = int(np.clip(ys[pick] - crop // 2 + rng.integers(-crop // 4, crop // 4 + 1), 0, height - crop))
            left = int(np.clip(xs[pick] - crop // 2 + rng.integers(-crop // 4, crop // 4 + 1), 0, width - crop))
            return top, left
    return int(rng.integers(height - crop + 1)), int(rng.integers(width - crop + 1))


def segmentation_batch(data: SegmentationArrays, indices: Sequence[int], crop: int, spec: InputSpec,
                       rng: np.random.Generator, focus_probability: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """(N x 3 x crop x crop normalised pixels, N x 1 x crop x crop float masks).

    With ``focus_probability`` a crop is centred near a random artifact pixel, so rare
    small artifacts are not mostly cropped away; the other crops are uniform. Half the
    crops are mirrored left-right (no artifact class depends on handedness).
    """
    pixels, masks = [], []
    for index in indices:
        image, mask = data.images[index], data.masks[index]
        top, left = _crop_origin(mask, crop, rng, rng.random() < focus_probability)
        image, mask = image[top:top + crop, left:left + crop], mask[top:top + crop, left:left + crop]
        if rng.random() < 0.5:
            image, mask = image[:, ::-1], mask[:, ::-1]
        pixels.append(normalize(np.ascontiguousarray(image), spec))
        masks.append(mask[None].astype(np.float32))
    return np.stack(pixels), np.stack(masks)


def centre_crop_batch(data: SegmentationArrays, indices: Sequence[int], crop: int,
                      spec: InputSpec) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic centre crops, for a quick per-epoch validation loss."""
    pixels, masks = [], []
    for index in indices:
        image, mask = data.images[index], data.masks[index]
        top, left = (image.shape[0] - crop) // 2, (image.shape[1] - crop) // 2
        pixels.append(normalize(image[top:top + crop, left:left + crop], spec))
        masks.append(mask[top:top + crop, left:left + crop][None].astype(np.float32))
    return np.stack(pixels), np.stack(masks)


def classification_batch(data: ClassificationArrays, indices: Sequence[int], spec: InputSpec,
                         rng: np.random.Generator | None = None) -> tuple[np.ndarray, ...]:
    """(pixels, class targets, labelled, has-artifact) for ``indices``; with ``rng``
    (training) half the images are mirrored left-right."""
    index = np.asarray(indices, dtype=np.int64)
    images = [data.images[i] for i in index]
    if rng is not None:
        images = [np.ascontiguousarray(image[:, ::-1]) if rng.random() < 0.5 else image for image in images]
    pixels = np.stack([normalize(image, spec) for image in images])
    return pixels, data.classes[index], data.labelled[index], data.has_artifact[index]
