"""Model outputs -> probabilities -> regions -> a Detection, in numpy only.

Connected components use a run-length two-pass labelling with union-find (no scipy):
the foreground of each row is cut into runs, runs that touch runs of the row above
(8-connectivity) are merged, and per-region statistics are summed over runs, so the
Python loop is over runs, not pixels.
"""

from __future__ import annotations

import math

import numpy as np

from artifactsdk.detection import Detection, Region
from artifactsdk.masks import area_share
from artifactsdk.thresholds import Thresholds, labels_over

MIN_REGION_FRACTION = 0.002  # smaller components are noise, not regions
# A flagged image's mask shows at most this share of the classifier's evidence cells, the
# strongest. Every cell over the threshold would cover 30-60 % of a flagged image (the score
# is their mean). Chosen by the deletion test (training.real_eval, inpainting fill, against
# the same mask moved) on the 123 flagged images among 486 rated training images and 480
# training photographs, int8 bundle: 1/64 lowered 67 %, 4.8x; 1/32 75 %, 4.1x; 1/16 80 %, 3.0x.
EVIDENCE_TOP_FRACTION = 1 / 16
EVIDENCE_CELL_PIXELS = 8  # a mask made of evidence cells alone (no segmenter) draws each as 8x8
# The segmenter's image-level score, as its trainer defines it (source.config.image_score):
# the mean of the top 1 % of pixel probabilities, robust to a few stray pixels; its
# optional "weight" is its share in artifact_score next to the classifier's (1).
DEFAULT_IMAGE_SCORE = {"method": "top_fraction_mean", "top_fraction": 0.01}


def sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(x.astype(np.float32), -80.0, 80.0)))).astype(np.float32)


def _by_semantics(outputs: dict[str, np.ndarray], specs: list[dict]) -> dict[str, np.ndarray]:
    return {spec["semantics"]: outputs[spec["name"]] for spec in specs if spec["name"] in outputs}


def segmenter_probability(outputs: dict[str, np.ndarray], specs: list[dict]) -> np.ndarray:
    """(N, h, w) float32 artifact probability from whichever output kind the model has."""
    found = _by_semantics(outputs, specs)
    if "artifact_logit" in found:
        return sigmoid(_squeeze_channel(found["artifact_logit"]))
    if "artifact_probability" in found:
        return _squeeze_channel(found["artifact_probability"]).astype(np.float32)
    if "artifact_two_class_logits" in found:
        logits = found["artifact_two_class_logits"].astype(np.float32)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (shifted[:, 1] / shifted.sum(axis=1)).astype(np.float32)
    if "artifact_argmax" in found:
        return (_squeeze_channel(found["artifact_argmax"]) > 0).astype(np.float32)
    raise ValueError(f"the segmenter has no artifact output among {[s['semantics'] for s in specs]}")


def _squeeze_channel(values: np.ndarray) -> np.ndarray:
    return values[:, 0] if values.ndim == 4 else values


def classifier_probabilities(outputs: dict[str, np.ndarray], specs: list[dict]):
    """(N, classes) class probabilities or None, (N,) image artifact probability or None."""
    found = _by_semantics(outputs, specs)
    classes = sigmoid(found["class_logits"]) if "class_logits" in found else None
    image = sigmoid(found["image_artifact_logit"].reshape(-1)) if "image_artifact_logit" in found else None
    if image is None and classes is not None:
        image = classes.max(axis=1)
    return classes, image


def classifier_evidence(outputs: dict[str, np.ndarray], specs: list[dict]) -> np.ndarray | None:
    """(N, h, w) float32 per-position artifact logit of a classifier that outputs its evidence
    map (the map whose mean is its image logit), else None. Logits, not probabilities: float32
    sigmoids of large logits tie at 1.0, and which cells are the strongest must not depend on it."""
    found = _by_semantics(outputs, specs)
    if "image_artifact_map" not in found:
        return None
    return _squeeze_channel(found["image_artifact_map"]).astype(np.float32)


def segmenter_image_score(probability: np.ndarray, method: dict | None = None) -> float:
    """One number for the whole map: the mean of its top `top_fraction` of pixels."""
    method = method or DEFAULT_IMAGE_SCORE
    if method.get("method") != "top_fraction_mean":
        raise ValueError(f"unknown segmenter image_score method {method.get('method')!r}; "
                         "expected 'top_fraction_mean'")
    flat = probability.reshape(-1)
    keep = max(1, int(round(float(method.get("top_fraction", 0.01)) * flat.size)))
    return float(np.partition(flat, flat.size - keep)[flat.size - keep:].mean())


def calibrated(probability: float, threshold: float) -> float:
    """sigmoid(logit(p) - logit(t)): a model's score rescaled so its own tuned threshold
    sits at 0.5. The models' thresholds differ (a classifier tuned to 0.05, a segmenter to
    0.23), so their raw probabilities cannot be averaged or compared with one number."""
    p = float(probability)
    t = min(max(float(threshold), 1e-7), 1 - 1e-7)
    return p * (1 - t) / (p * (1 - t) + t * (1 - p))  # the same, in odds form: exact at 0 and 1


def artifact_score(classifier_probability: float | None, segmenter_map: np.ndarray | None,
                   image_score: dict | None = None, thresholds: Thresholds = Thresholds()) -> float:
    """Image-level score in [0, 1], 0.5 = at the models' thresholds (combine_scores of the
    classifier's image probability and the segmenter's image score of ``segmenter_map``)."""
    segmenter_score = None if segmenter_map is None else segmenter_image_score(segmenter_map, image_score)
    return combine_scores(classifier_probability, segmenter_score, image_score, thresholds)


def combine_scores(classifier_probability: float | None, segmenter_score: float | None,
                   image_score: dict | None = None, thresholds: Thresholds = Thresholds()) -> float:
    """The weighted mean of the classifier's image probability (weight 1) and the
    segmenter's image score (weight ``image_score["weight"]``, default 1, chosen by the
    tuning on rated images), each first calibrated against its own threshold ("artifact"
    and "image"); either alone when only one model ran."""
    parts, weights = [], []
    if classifier_probability is not None:
        parts.append(calibrated(classifier_probability, thresholds["artifact"]))
        weights.append(1.0)
    if segmenter_score is not None:
        parts.append(calibrated(segmenter_score, thresholds["image"]))
        alone = classifier_probability is None
        weights.append(1.0 if alone else float((image_score or DEFAULT_IMAGE_SCORE).get("weight", 1.0)))
    return float(np.average(parts, weights=weights)) if parts else 0.0


# -- connected components ------------------------------------------------------------------

def label_runs(binary: np.ndarray):
    """Runs of a 2-D bool array and their 8-connected component ids.

    Returns (rows, starts, ends, labels, count): run i covers binary[rows[i], starts[i]:ends[i]]
    and belongs to component labels[i] in 0..count-1 (numbered in raster order).
    """
    height, width = binary.shape
    padded = np.zeros((height, width + 2), dtype=np.int8)
    padded[:, 1:-1] = binary
    steps = np.diff(padded, axis=1)
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    parent = list(range(len(rows)))
    run_starts, run_ends = starts.tolist(), ends.tolist()

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = np.searchsorted(rows, np.arange(height + 1)).tolist()
    for row in range(1, height):
        i, i_end, j, j_end = first[row - 1], first[row], first[row], first[row + 1]
        while i < i_end and j < j_end:
            if run_starts[i] <= run_ends[j] and run_starts[j] <= run_ends[i]:  # touching, diagonals too
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            if run_ends[i] < run_ends[j]:
                i += 1
            else:
                j += 1
    roots = np.array([find(i) for i in range(len(rows))], dtype=np.int64)
    unique, labels = np.unique(roots, return_inverse=True)
    return rows, starts, ends, labels.reshape(-1), len(unique)


# -- regions and captions -----------------------------------------------------------------

# Where a caption says a region is: a 3x3 grid of the image, or all of it from half its area.
CAPTION_PLACES = (("in the upper left", "at the top", "in the upper right"),
                  ("on the left", "in the centre", "on the right"),
                  ("in the lower left", "at the bottom", "in the lower right"))
WHOLE_IMAGE_PLACE = "across the image"


def caption(class_name: str | None, box: tuple[int, int, int, int], size: tuple[int, int],
            area_fraction: float) -> str:
    """SynArtifact-style sentence: "Localized blur in the upper left (4 % of the image)"."""
    width, height = size
    what = class_name[0] + class_name[1:].lower() if class_name else "Artifact"
    if area_fraction >= 0.5:
        place = WHOLE_IMAGE_PLACE
    else:
        column = min(2, int(3 * (box[0] + box[2]) / 2 / width))
        row = min(2, int(3 * (box[1] + box[3]) / 2 / height))
        place = CAPTION_PLACES[row][column]
    return f"{what} {place} ({area_share(area_fraction)} % of the image)"


def find_regions(probability: np.ndarray, size: tuple[int, int], threshold: float,
                 label: tuple[str, str] | None, min_fraction: float = MIN_REGION_FRACTION) -> tuple[Region, ...]:
    """Regions of the (h, w) probability map over `threshold`, boxes scaled to `size`.

    `label` is the (key, name) of the best class over its threshold, or None.
    """
    map_height, map_width = probability.shape
    rows, starts, ends, labels, count = label_runs(probability >= threshold)
    if count == 0:
        return ()
    lengths = ends - starts
    row_sums = np.concatenate([np.zeros((map_height, 1), np.float64), np.cumsum(probability, axis=1)], axis=1)
    mass = row_sums[rows, ends] - row_sums[rows, starts]
    area = np.bincount(labels, weights=lengths, minlength=count)
    total = np.bincount(labels, weights=mass, minlength=count)
    x0 = np.full(count, map_width)
    y0 = np.full(count, map_height)
    x1 = np.zeros(count, dtype=np.int64)
    y1 = np.zeros(count, dtype=np.int64)
    np.minimum.at(x0, labels, starts)
    np.minimum.at(y0, labels, rows)
    np.maximum.at(x1, labels, ends)
    np.maximum.at(y1, labels, rows + 1)
    width, height = size
    sx, sy = width / map_width, height / map_height
    regions = []
    for k in np.argsort(-area, kind="stable"):
        fraction = float(area[k]) / (map_width * map_height)
        if fraction < min_fraction:
            continue
        box = (int(np.floor(x0[k] * sx)), int(np.floor(y0[k] * sy)),
               min(width, int(np.ceil(x1[k] * sx))), min(height, int(np.ceil(y1[k] * sy))))
        key, name = label if label else (None, None)
        regions.append(Region(box=box, area_fraction=fraction, mean_score=float(total[k] / area[k]),
                              label=key, label_name=name, caption=caption(name, box, size, fraction)))
    return tuple(regions)


def nearest(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(h, w) -> `shape` (height, width) by nearest neighbour: each evidence cell stays a block."""
    rows = np.arange(shape[0]) * values.shape[0] // shape[0]
    columns = np.arange(shape[1]) * values.shape[1] // shape[1]
    return values[rows[:, None], columns[None, :]]


def logit(probability: float) -> float:
    probability = min(max(float(probability), 1e-7), 1 - 1e-7)
    return math.log(probability / (1 - probability))


def strongest_cells(logits: np.ndarray, threshold: float) -> np.ndarray:
    """(h, w) bool: the evidence cells whose logit passes `threshold` (a probability) among
    the top EVIDENCE_TOP_FRACTION of the map (at least its strongest cell). The image logit is
    the mean of the cells, so the strongest cell of a flagged image passes the threshold that
    flagged it."""
    count = max(1, int(round(EVIDENCE_TOP_FRACTION * logits.size)))
    cut = np.partition(logits.ravel(), logits.size - count)[logits.size - count]
    return (logits >= cut) & (logits >= logit(threshold))


def with_evidence(segmenter_map: np.ndarray | None, logits: np.ndarray, thresholds: Thresholds) -> np.ndarray:
    """The mask a flagged image reports: the segmenter's pixel probabilities and the
    classifier's strongest evidence cells (strongest_cells), whichever is higher, the cells'
    probabilities first rescaled so that the "artifact" threshold lands on the pixel threshold.
    So a flagged image has at least one region, where its score comes from most."""
    shift = logit(thresholds["pixel"]) - logit(thresholds["artifact"])  # the pixel scale, in logits
    rescaled = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64) + shift, -80.0, 80.0)))
    # a kept cell shows at least halfway from the pixel threshold to 1: one just over the
    # artifact threshold would land on the pixel threshold, where float rounding (numpy here,
    # JavaScript in the browser) decides whether it is in the mask
    floor = (1 + thresholds["pixel"]) / 2
    kept = strongest_cells(logits, thresholds["artifact"])
    rescaled = np.where(kept, np.maximum(rescaled, floor), 0.0).astype(np.float32)
    if segmenter_map is None:  # blocks of pixels, so that a lone cell survives bilinear upsampling
        segmenter_map = np.zeros((logits.shape[0] * EVIDENCE_CELL_PIXELS, logits.shape[1] * EVIDENCE_CELL_PIXELS),
                                 np.float32)
    return np.maximum(segmenter_map, nearest(rescaled, segmenter_map.shape))


# -- the result ---------------------------------------------------------------------------

def build_detection(decoded, thresholds: Thresholds, labels: list[dict], class_probs: np.ndarray | None,
                    image_prob: float | None, segmenter_map: np.ndarray | None, *,
                    trained_classes=None, image_score: dict | None = None,
                    evidence: np.ndarray | None = None) -> Detection:
    """One image's Detection from its rows of the models' outputs.

    Every label gets a score; the labels are the classes `labels_over` their thresholds
    (`trained_classes` only, all when None or empty), and a region's class is the best of them.
    `image_score` is the segmenter's image-score method; `evidence` the classifier's
    per-position logit map, added to the mask of a flagged image (with_evidence). Only a
    flagged image has a mask and regions."""
    ordered = sorted(labels, key=lambda item: item["index"])
    scores = {} if class_probs is None else {spec["key"]: float(class_probs[spec["index"]]) for spec in ordered}
    names = {spec["key"]: spec["name"] for spec in ordered}
    found = labels_over(scores, thresholds, trained_classes)
    score = artifact_score(image_prob, segmenter_map, image_score, thresholds)
    is_artifact = score >= thresholds["decision"]
    # A clean verdict outlines nothing: a region on an image the Detector calls clean would
    # contradict its own verdict (16 % of clean photographs carried one before).
    if not is_artifact:
        mask = None
    elif evidence is not None:
        mask = with_evidence(segmenter_map, evidence, thresholds)
    else:
        mask = segmenter_map
    region_label = (found[0], names[found[0]]) if found else None
    regions = find_regions(mask, decoded.size, thresholds["pixel"], region_label) if mask is not None else ()
    return Detection(size=decoded.size, original_size=decoded.original_size, artifact_score=score,
                     is_artifact=is_artifact, scores=scores, labels=found,
                     regions=regions, segmented=segmenter_map is not None,
                     pixel_threshold=float(thresholds["pixel"]), source=decoded.source,
                     model_mask=mask, image=decoded.pixels)
