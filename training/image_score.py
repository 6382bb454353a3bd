"""Tuning the trained models on real images: the image-level score and the thresholds.

The synthetic engine teaches where artifacts are; it cannot teach how much a real
generated image's flaws matter to people, nor how high the models' outputs run on
clean real photographs. This stage, run after training:

1. fits the image score on rated generated images: ridge regression of their opinion
   score on what the classifier's "has artifact" head reads (its pooled features, and the
   feature-map or natural-scene statistics when the model has them), turned into a logit
   that rises as the opinion falls; the regularisation strength is the one that ranks a
   generator left out of the fit best (leave-one-generator-out folds), so the score is
   chosen for what carries to a new generator, not for what separates the known ones;
   optionally at a larger input than the classifier trained at (``input_size``): at 512
   the features still see the fine detail whose loss people notice first;
2. raises each threshold to what clean photographs reach: the classifier's "artifact"
   and per-class thresholds to a high quantile of their scores on photographs, the
   segmenter's image threshold likewise, and its pixel threshold until the mean
   detected area on photographs is small. A class or segmenter threshold is never
   lowered below the value tuned on synthetic validation data;
3. chooses the segmenter's weight in artifact_score (next to the classifier's 1) that
   ranks the rated images best, with the classifier's scores taken out of fold.
The segmenter's thresholds are set on every other photograph, the classifier's on all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
from scipy import stats

from artifactsdk.errors import DatasetError
from artifactsdk.postprocess import DEFAULT_IMAGE_SCORE, combine_scores, segmenter_image_score, sigmoid
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
    """pixels -> (what the classifier's has-artifact score reads: the pooled head features
    of its encoder, then the feature-map statistics and the raw natural-scene statistics
    when the model has them, in the order ScoreHead.install writes them; the pooled
    features its classes read)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        model = self.model
        features, head = model.score_reads(pixels)
        parts = [model.encoder.pool(head, model.pooling)]
        if model.stage_statistics is not None:
            parts.append(model.stage_statistics(features))
        if model.nss is not None:
            parts.append(model.nss(pixels))
        classes = parts[0] if model.score_encoder is None else model.encoder.pooled(pixels, model.pooling)
        return torch.cat(parts, dim=1), classes


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
                              input_names=["pixels"], output_names=["score", "classes"], opset_version=17,
                              dynamic_axes={"pixels": {0: "batch"}, "score": {0: "batch"}, "classes": {0: "batch"}},
                              dynamo=False)
            self.backend = onnx_file_backend(path, threads)

    def __call__(self, images: list[np.ndarray], label: str, quiet: bool,
                 batch_size: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """(N x what the score reads, N x what the classes read) of the images, each resized
        as at run time."""
        chunks = []
        with Progress(label, len(images), quiet) as progress:
            for start in range(0, len(images), batch_size):
                batch = images[start:start + batch_size]
                pixels = np.stack([normalize(resize_rgb(image, self.spec.height, self.spec.width), self.spec)
                                   for image in batch])
                outputs = self.backend.run_batch(pixels)
                chunks.append((outputs["score"].astype(np.float64), outputs["classes"].astype(np.float64)))
                progress.advance(len(batch))
        return tuple(np.concatenate(part) for part in zip(*chunks)) if chunks else (np.zeros((0, 0)),) * 2


@dataclass(frozen=True)
class ScoreHead:
    """The image score as one linear map of the head's raw inputs: ridge regression of MOS on
    the standardised columns, turned into an artifact logit ``(pivot - predicted MOS) / spread``
    (a lower opinion, a higher logit; ``spread`` is the MOS deviation of the rated images)."""
    weight: np.ndarray   # per raw column
    bias: float
    alpha: float

    @classmethod
    def fit(cls, features: np.ndarray, mos: np.ndarray, alpha: float) -> "ScoreHead":
        from sklearn.linear_model import Ridge
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(features)
        ridge = Ridge(alpha=alpha).fit(scaler.transform(features), mos)
        per_column = ridge.coef_ / scaler.scale_
        spread = float(mos.std()) or 1.0
        pivot = float(np.median(mos))
        intercept = float(ridge.intercept_ - per_column @ scaler.mean_)
        return cls(-per_column / spread, (pivot - intercept) / spread, alpha)

    def logits(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weight + self.bias

    def install(self, model: torch.nn.Module) -> None:
        """Write the map into the classifier, in _HeadReads' column order: the pooled part into
        its artifact head, the feature-map statistics into their head, the natural-scene
        statistics (raw columns: mean 0, std 1 in the model) into theirs."""
        heads = [model.artifact_head]
        if model.stage_statistics is not None:
            heads.append(model.stage_head)
        if model.nss is not None:
            heads.append(model.nss_head)
            model.nss_mean.zero_()
            model.nss_std.fill_(1.0)
        weights = torch.from_numpy(self.weight).float().split([head.in_features for head in heads])
        with torch.no_grad():
            for head, weight in zip(heads, weights):
                head.weight.copy_(weight[None])
            model.artifact_head.bias.fill_(self.bias)


def leave_one_generator_out(features: np.ndarray, ratings: list[RatedImage], alpha: float) -> dict:
    """For each generator G: the score fitted without any image of G, then its Spearman
    (-score against MOS) on G's images, which it has never seen. What carries to a new
    generator, not what separates the known ones, is what this rewards."""
    generators = np.array([generator_of(r.group) for r in ratings])
    mos = np.array([r.mos for r in ratings])
    folds = {}
    for generator in np.unique(generators):
        held = generators == generator
        scores = ScoreHead.fit(features[~held], mos[~held], alpha).logits(features[held])
        spearman = stats.spearmanr(-scores, mos[held]).statistic
        folds[str(generator)] = {"images": int(held.sum()), "spearman": round(float(spearman), 4)}
    return {"alpha": alpha, "folds": folds,
            "mean_spearman": round(float(np.mean([f["spearman"] for f in folds.values()])), 4)}


def chosen_by_folds(features: np.ndarray, ratings: list[RatedImage], alphas: tuple[float, ...]) -> dict:
    """The leave-one-generator-out folds of every regularisation strength, and the one whose
    mean Spearman on the left-out generators is highest."""
    runs = [leave_one_generator_out(features, ratings, alpha) for alpha in alphas]
    best = max(runs, key=lambda run: run["mean_spearman"])
    return {**best, "by_alpha": {str(run["alpha"]): run["mean_spearman"] for run in runs}}


def out_of_fold_probability(features: np.ndarray, ratings: list[RatedImage], alpha: float) -> np.ndarray:
    """Each rated image's artifact probability from a score fitted without it (two folds,
    alternate images), so choices made on these scores are not fooled by the fit."""
    mos = np.array([r.mos for r in ratings])
    fold = np.arange(len(ratings)) % 2
    logits = np.zeros(len(ratings))
    for k in (0, 1):
        logits[fold == k] = ScoreHead.fit(features[fold != k], mos[fold != k], alpha).logits(features[fold == k])
    return sigmoid(logits)


def quantile_threshold(scores: np.ndarray, quantile: float, floor: float) -> float:
    """The ``quantile`` of scores on clean images, never below ``floor``."""
    return float(max(floor, np.quantile(scores, quantile))) if len(scores) else floor


def class_probabilities(model: torch.nn.Module, pooled: np.ndarray) -> np.ndarray:
    """The classifier's per-class probabilities from its pooled features."""
    with torch.no_grad():
        return torch.sigmoid(model.class_logits(torch.from_numpy(pooled).float())).numpy()


def tune_classifier(model: torch.nn.Module, config: dict, data: RealImages, options: TuningOptions,
                    quiet: bool) -> tuple[dict, np.ndarray]:
    """Fit the image score on the rated images (at ``options.input_size`` when given), its
    regularisation chosen on leave-one-generator-out folds, and set the thresholds: the
    artifact threshold to the photographs' quantile, per class the best F1 on the synthetic
    images raised to the photographs' quantile; returns the figures of the run and each rated
    image's out-of-fold artifact probability."""
    spec = InputSpec.from_manifest(config["input"])
    if options.input_size:
        spec = replace(spec, height=options.input_size, width=options.input_size)
        config["input"] = spec.to_manifest()
    features = HeadFeatures(model, spec, torch.get_num_threads())
    rated, _ = features(data.rated, "features: rated images", quiet)
    mos = np.array([r.mos for r in data.ratings])
    folds = chosen_by_folds(rated, data.ratings, options.ridge_alphas)
    head = ScoreHead.fit(rated, mos, folds["alpha"])
    head.install(model)
    _, synth = features(data.synth, "features: synthetic", quiet)
    photos, photo_pooled = features(data.photos, "features: photographs", quiet)
    thresholds = config["thresholds"]
    thresholds["artifact"] = quantile_threshold(sigmoid(head.logits(photos)), options.photo_quantile, 0.0)
    synth_class = class_probabilities(model, synth)
    photo_class = class_probabilities(model, photo_pooled)
    for label in config["labels"]:
        if label["key"] in config["trained_classes"]:
            index = label["index"]
            best = best_f1_threshold(data.synth_classes[:, index], synth_class[:, index])
            thresholds["classes"][label["key"]] = quantile_threshold(photo_class[:, index], options.class_quantile, best)
    return {"input_size": spec.height, "photos_thresholds": len(data.photos),
            "synth_images": len(data.synth), "leave_one_generator_out": folds,
            "thresholds": thresholds}, out_of_fold_probability(rated, data.ratings, folds["alpha"])


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
