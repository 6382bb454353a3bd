"""Tuning the trained models on real images: the image-level score and the thresholds.

The synthetic engine teaches where artifacts are; it cannot teach how much a real
generated image's flaws matter to people, nor how high the models' outputs run on
clean real photographs. This stage, run after training:

1. re-fits the classifier's "has artifact" head (one linear layer on the frozen pooled
   features) on three kinds of image at once: synthetic images with their labels (BCE),
   clean photographs as negatives (BCE), and rated generated images, ranked so that a
   lower opinion score gets a higher artifact logit (pairwise logistic loss; pairs of the
   same generator count twice, so the score also ranks within a generator), and every
   image of a group named worse (e.g. few denoising steps) above every image of the
   group it is compared with (e.g. the same generator's normal setting);
   optionally at a larger input than the classifier trained at (``input_size``): at 512
   the pooled features still see the fine detail whose loss people notice first;
2. raises each threshold to what clean photographs reach: the classifier's "artifact"
   and per-class thresholds to a high quantile of their scores on photographs, the
   segmenter's image threshold likewise, and its pixel threshold until the mean
   detected area on photographs is small. A threshold is never lowered below the value
   tuned on synthetic validation data;
3. chooses the segmenter's weight in artifact_score (next to the classifier's 1) that
   ranks the rated images best, with the classifier's scores taken out of fold.
Photographs are split in two: one half trains the head, the other sets the thresholds.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats

from artifactsdk.errors import DatasetError
from artifactsdk.postprocess import DEFAULT_IMAGE_SCORE, combine_scores, segmenter_image_score
from artifactsdk.preprocess import InputSpec, normalize, resize_rgb
from artifactsdk.progress import Progress
from artifactsdk.runtimes.onnxruntime_backend import onnx_file_backend
from artifactsdk.thresholds import Thresholds
from artifactsdk.training.datasets import read_rgb
from artifactsdk.training.metrics import best_f1_threshold
from artifactsdk.training.predict import predictor_for
from artifactsdk.training.real_data import RatedImage, generator_of
from artifactsdk.training.tuning_options import TuningOptions


SEGMENTER_WEIGHTS = (0.0, 0.25, 0.5, 1.0)


@dataclass
class RealImages:
    """The decoded images a tuning run uses."""
    synth: list[np.ndarray]
    synth_has_artifact: np.ndarray
    synth_classes: np.ndarray                 # N x K multi-hot
    photos: list[np.ndarray]
    rated: list[np.ndarray]
    ratings: list[RatedImage]               # one per rated image, in the same order


def read_images(paths: Iterable[Path], label: str, quiet: bool,
                skipped: list[str]) -> tuple[list[np.ndarray], list[int]]:
    """(images, the index of each in ``paths``): a file that cannot be read is recorded in
    ``skipped`` and left out, so callers keep what belongs to each image aligned by index."""
    paths = list(paths)
    images, kept = [], []
    with Progress(label, len(paths), quiet) as progress:
        for index, path in enumerate(paths):
            try:
                images.append(read_rgb(path))
                kept.append(index)
            except DatasetError as exc:
                skipped.append(str(exc))
            progress.advance()
    return images, kept


class _HeadReads(torch.nn.Module):
    """pixels -> what the classifier's "has artifact" head reads: the pooled encoder
    features (N x 1280), then the raw natural-scene statistics when the model has them."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        parts = [self.model.encoder.pooled(pixels, self.model.pooling)]
        if getattr(self.model, "nss", None) is not None:
            parts.append(self.model.nss(pixels))
        return torch.cat(parts, dim=1)


class HeadFeatures:
    """_HeadReads of many images, run by ONNX Runtime from a one-off fp32 export of the
    frozen encoder: on these CPUs about three times torch's speed, which decides whether a
    tuning run over thousands of 512-pixel images takes minutes or an hour."""

    def __init__(self, model: torch.nn.Module, spec: InputSpec, threads: int = 2):
        import tempfile
        import warnings

        self.spec = spec
        model.eval()
        with tempfile.TemporaryDirectory(prefix="artifactsdk-tune-") as work, warnings.catch_warnings(), \
                torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            path = f"{work}/features.onnx"
            torch.onnx.export(_HeadReads(model), (torch.zeros(1, 3, spec.height, spec.width),), path,
                              input_names=["pixels"], output_names=["features"], opset_version=17,
                              dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}}, dynamo=False)
            self.backend = onnx_file_backend(path, threads)

    def __call__(self, images: list[np.ndarray], label: str, quiet: bool, batch_size: int = 8) -> torch.Tensor:
        """N x features of the images, each resized as at run time."""
        chunks = []
        with Progress(label, len(images), quiet) as progress:
            for start in range(0, len(images), batch_size):
                batch = images[start:start + batch_size]
                pixels = np.stack([normalize(resize_rgb(image, self.spec.height, self.spec.width), self.spec)
                                   for image in batch])
                chunks.append(torch.from_numpy(self.backend.run_batch(pixels)["features"]))
                progress.advance(len(batch))
        return torch.cat(chunks) if chunks else torch.zeros(0, 0)


class HeadInputs:
    """Standardises the scene-statistics columns of HeadFeatures (the deep features keep
    their scale, which the encoder's batch norm already set) and installs a fitted linear
    head over both into the classifier."""

    def __init__(self, model: torch.nn.Module, fitted_on: torch.Tensor):
        self.model = model
        self.deep = model.artifact_head.in_features
        scene = fitted_on[:, self.deep:]
        self.mean = scene.mean(dim=0) if scene.shape[1] else None
        self.std = scene.std(dim=0).clamp_min(1e-6) if scene.shape[1] else None

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        if self.mean is None:
            return features
        return torch.cat([features[:, :self.deep], (features[:, self.deep:] - self.mean) / self.std], dim=1)

    def new_head(self, features: torch.Tensor) -> torch.nn.Linear:
        """A head for these inputs, started from the classifier's own "has artifact" head."""
        head = torch.nn.Linear(features.shape[1], 1)
        with torch.no_grad():
            head.weight.zero_()
            head.weight[:, :self.deep] = self.model.artifact_head.weight
            head.bias.copy_(self.model.artifact_head.bias)
        return head

    def install(self, head: torch.nn.Linear) -> None:
        with torch.no_grad():
            self.model.artifact_head.weight.copy_(head.weight[:, :self.deep])
            self.model.artifact_head.bias.copy_(head.bias)
            if self.mean is not None:
                self.model.nss_mean.copy_(self.mean)
                self.model.nss_std.copy_(self.std)
                self.model.nss_head.weight.copy_(head.weight[:, self.deep:])


def ranking_pairs(ratings: list[RatedImage], options: TuningOptions) -> tuple[torch.Tensor, ...]:
    """(worse, better, weight) index pairs: ``worse`` has the lower opinion score by at
    least the margin; pairs from the same group weigh ``same_group_weight``."""
    mos = np.array([r.mos for r in ratings])
    groups = np.array([r.group for r in ratings])
    worse, better = np.nonzero(mos[:, None] + options.mos_margin < mos[None, :])
    weight = np.where(groups[worse] == groups[better], options.same_group_weight, 1.0)
    return torch.from_numpy(worse), torch.from_numpy(better), torch.from_numpy(weight).float()


def group_order_pairs(ratings: list[RatedImage], options: TuningOptions) -> tuple[torch.Tensor, torch.Tensor]:
    """(worse, better) index pairs: every image of a worse group with every image of its better group."""
    groups = np.array([r.group for r in ratings])
    worse, better = [], []
    for worse_group, better_group in options.worse_groups:
        w, b = np.meshgrid(np.flatnonzero(groups == worse_group), np.flatnonzero(groups == better_group),
                           indexing="ij")
        worse.append(w.ravel())
        better.append(b.ravel())
    if not worse:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)
    return torch.from_numpy(np.concatenate(worse)), torch.from_numpy(np.concatenate(better))


def fit_artifact_head(head: torch.nn.Linear, synth: torch.Tensor, synth_labels: torch.Tensor,
                      photos: torch.Tensor, rated: torch.Tensor, ratings: list[RatedImage],
                      options: TuningOptions) -> list[float]:
    """Full-batch AdamW on the head alone; returns the loss every 50 steps."""
    torch.manual_seed(options.seed)
    worse, better, weight = ranking_pairs(ratings, options)
    group_worse, group_better = group_order_pairs(ratings, options)
    optimizer = torch.optim.AdamW(head.parameters(), lr=options.lr, weight_decay=options.weight_decay)
    history = []
    for step in range(options.steps):
        logits = [head(x)[:, 0] for x in (synth, photos, rated)]
        loss = F.binary_cross_entropy_with_logits(logits[1], torch.zeros_like(logits[1]))
        if len(synth):
            loss = loss + F.binary_cross_entropy_with_logits(logits[0], synth_labels)
        if len(worse):
            margin = logits[2][worse] - logits[2][better]  # should be positive: worse = more artifact
            loss = loss + options.ranking_weight * (F.softplus(-margin) * weight).sum() / weight.sum()
        if len(group_worse):
            margin = logits[2][group_worse] - logits[2][group_better]
            loss = loss + options.group_order_weight * F.softplus(-margin).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % 50 == 0 or step == options.steps - 1:
            history.append(round(float(loss.detach()), 4))
    return history


def quantile_threshold(scores: np.ndarray, quantile: float, floor: float) -> float:
    """The ``quantile`` of scores on clean images, never below ``floor``."""
    return float(max(floor, np.quantile(scores, quantile))) if len(scores) else floor


def out_of_fold_probability(head: torch.nn.Linear, fit, rated: torch.Tensor,
                            ratings: list[RatedImage]) -> np.ndarray:
    """Each rated image's artifact probability from a head fitted without it (two folds,
    alternate images), so choices made on these scores are not fooled by the fit."""
    fold = np.arange(len(ratings)) % 2
    probability = np.zeros(len(ratings), np.float32)
    for k in (0, 1):
        fitted = copy.deepcopy(head)
        train = np.flatnonzero(fold != k)
        fit(fitted, rated=rated[train], ratings=[ratings[i] for i in train])
        with torch.no_grad():
            probability[fold == k] = torch.sigmoid(fitted(rated[fold == k])[:, 0]).numpy()
    return probability


def class_probabilities(model: torch.nn.Module, features: torch.Tensor) -> np.ndarray:
    """The classifier's per-class probabilities from its pooled features."""
    with torch.no_grad():
        return torch.sigmoid(model.class_logits(features)).numpy()


def leave_one_generator_out(start: torch.nn.Linear, fit, rated: torch.Tensor,
                            ratings: list[RatedImage]) -> dict:
    """For each generator G: the head fitted without any image of G, then its Spearman
    (-score against MOS) on G's images, which it has never seen. What carries to a new
    generator, not what separates the known ones, is what this rewards."""
    generators = np.array([generator_of(r.group) for r in ratings])
    mos = np.array([r.mos for r in ratings])
    folds = {}
    for generator in np.unique(generators):
        held = generators == generator
        head = copy.deepcopy(start)
        fit(head, rated=rated[~held], ratings=[r for r, out in zip(ratings, held) if not out])
        with torch.no_grad():
            scores = head(rated[held])[:, 0].numpy()
        spearman = stats.spearmanr(-scores, mos[held]).statistic
        folds[str(generator)] = {"images": int(held.sum()), "spearman": round(float(spearman), 4)}
    return {"folds": folds, "mean_spearman": round(float(np.mean([f["spearman"] for f in folds.values()])), 4)}


def tune_classifier(model: torch.nn.Module, config: dict, data: RealImages, options: TuningOptions,
                    quiet: bool) -> tuple[dict, np.ndarray]:
    """Re-fit the artifact head (at ``options.input_size`` when given; over the scene
    statistics too when the model has them) and set the thresholds: per class the best F1
    on the synthetic images, raised to the photographs' quantile; returns the figures of
    the run, the leave-one-generator-out folds among them."""
    spec = InputSpec.from_manifest(config["input"])
    if options.input_size:
        spec = replace(spec, height=options.input_size, width=options.input_size)
        config["input"] = spec.to_manifest()
    fit_photos, threshold_photos = data.photos[0::2], data.photos[1::2]
    features = HeadFeatures(model, spec, torch.get_num_threads())
    raw = {"synth": features(data.synth, "features: synthetic", quiet),
           "photos": features(fit_photos, "features: photographs", quiet),
           "rated": features(data.rated, "features: rated images", quiet)}
    inputs = HeadInputs(model, torch.cat(list(raw.values())))
    synth, photos, rated = (inputs(raw[name]) for name in ("synth", "photos", "rated"))
    labels = torch.from_numpy(data.synth_has_artifact.astype(np.float32))
    fit = partial(fit_artifact_head, synth=synth, synth_labels=labels, photos=photos, options=options)
    start = inputs.new_head(rated)
    folds = leave_one_generator_out(start, fit, rated, data.ratings)
    rated_probability = out_of_fold_probability(start, fit, rated, data.ratings)
    head = copy.deepcopy(start)
    history = fit(head, rated=rated, ratings=data.ratings)
    inputs.install(head)
    held = inputs(features(threshold_photos, "features: threshold photographs", quiet))
    with torch.no_grad():
        synth_probability = torch.sigmoid(head(synth)[:, 0]).numpy()
        photo_artifact = torch.sigmoid(head(held)[:, 0]).numpy()
    synth_class = class_probabilities(model, synth[:, :inputs.deep])
    photo_class = class_probabilities(model, held[:, :inputs.deep])
    thresholds = config["thresholds"]
    synth_best = best_f1_threshold(data.synth_has_artifact, synth_probability)
    thresholds["artifact"] = quantile_threshold(photo_artifact, options.photo_quantile, synth_best)
    for label in config["labels"]:
        if label["key"] in config["trained_classes"]:
            index = label["index"]
            best = best_f1_threshold(data.synth_classes[:, index], synth_class[:, index])
            thresholds["classes"][label["key"]] = quantile_threshold(photo_class[:, index], options.class_quantile, best)
    return {"loss": history, "synth_best_f1_threshold": synth_best, "input_size": spec.height,
            "photos_fit": len(fit_photos), "photos_thresholds": len(threshold_photos),
            "leave_one_generator_out": folds, "thresholds": thresholds}, rated_probability


def segmenter_image_scores(model: torch.nn.Module, config: dict, images: list[np.ndarray], label: str,
                           quiet: bool) -> tuple[np.ndarray, np.ndarray]:
    """(image score per image, a sample of every 16th pixel probability of all images)."""
    predict = predictor_for(model, config)
    samples, scores = [], []
    with Progress(label, len(images), quiet) as progress:
        for image in images:
            probability = predict(image)
            scores.append(segmenter_image_score(probability, config.get("image_score")))
            samples.append(probability[::4, ::4].ravel())
            progress.advance()
    return np.asarray(scores), np.concatenate(samples)


def tune_segmenter(model: torch.nn.Module, config: dict, photos: list[np.ndarray], options: TuningOptions,
                   quiet: bool) -> dict:
    """Raise the pixel threshold until the mean detected area on clean photographs is at
    most ``max_clean_area``, and the image threshold to the photographs' quantile."""
    image_scores, pixels = segmenter_image_scores(model, config, photos, "segmenter on photographs", quiet)
    thresholds = config["thresholds"]
    thresholds["pixel"] = quantile_threshold(pixels, 1 - options.max_clean_area, thresholds["pixel"])
    thresholds["image"] = quantile_threshold(image_scores, options.photo_quantile, thresholds["image"])
    return {"photos": len(photos), "thresholds": thresholds,
            "mean_area_at_pixel_threshold": float(np.mean(pixels >= thresholds["pixel"]))}


def ranking_quality(scores: np.ndarray, ratings: list[RatedImage]) -> float:
    """Spearman of -score with MOS plus the mean within-group Spearman (groups of 5 or more)."""
    mos = np.array([r.mos for r in ratings])
    groups = np.array([r.group for r in ratings])
    overall = stats.spearmanr(-scores, mos).statistic
    within = [stats.spearmanr(-scores[groups == g], mos[groups == g]).statistic
              for g in np.unique(groups) if (groups == g).sum() >= 5]
    return float(np.nan_to_num(overall) + (np.nanmean(within) if within else 0.0))


def choose_segmenter_weight(classifier_probability: np.ndarray, classifier_threshold: float,
                            segmenter_scores: np.ndarray, segmenter_threshold: float,
                            ratings: list[RatedImage], candidates=SEGMENTER_WEIGHTS) -> dict:
    """The segmenter's share in artifact_score that ranks the rated images best, computed
    exactly as the runtime combines the two models."""
    quality = {}
    for weight in candidates:
        method = {**DEFAULT_IMAGE_SCORE, "weight": weight}
        limits = Thresholds.of({"artifact": classifier_threshold, "image": segmenter_threshold})
        scores = np.array([combine_scores(float(c), float(s), method, limits)
                           for c, s in zip(classifier_probability, segmenter_scores)])
        quality[weight] = ranking_quality(scores, ratings)
    best = max(quality, key=quality.get)
    return {"weight": best, "ranking_quality": {str(k): round(v, 4) for k, v in quality.items()}}
