"""Training of the default segmenter and classifier on the CPU, deterministic by seed.

Each epoch writes ``out/last/`` (weights, optimizer, counters) so ``--resume`` picks up
after the last finished epoch; the end writes the final checkpoint into ``out/`` with
thresholds tuned on a validation split of the training data (never on a test set).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from artifactsdk import postprocess, taxonomy
from artifactsdk.errors import InvalidInputError
from artifactsdk.models.checkpoint import (
    CLASSIFIER_ARCHITECTURE,
    SEGMENTER_ARCHITECTURE,
    build_model,
    load_checkpoint,
    save_checkpoint,
)
from artifactsdk.postprocess import DEFAULT_IMAGE_SCORE
from artifactsdk.preprocess import IMAGENET_MEAN, IMAGENET_STD, InputSpec
from artifactsdk.training.arrays import (
    ClassificationArrays,
    SegmentationArrays,
    centre_crop_batch,
    classification_batch,
    segmentation_batch,
    split_indices,
)
from artifactsdk.training.evaluate import segmenter_outputs
from artifactsdk.training.losses import bce_dice_loss, classifier_loss
from artifactsdk.training.metrics import best_f1_threshold
from artifactsdk.training.predict import checkpoint_backend, predictor_for
from artifactsdk.progress import Progress
from artifactsdk.thresholds import untuned
from artifactsdk.training.resume import load_training_state, save_training_state
from artifactsdk.training.train_options import TrainOptions

LAST_DIR = "last"
LOG_FILE = "train_log.jsonl"


@dataclass(frozen=True)
class TrainResult:
    checkpoint: Path
    log: list

    def to_dict(self) -> dict:
        return {"checkpoint": str(self.checkpoint), "log": self.log}


@dataclass(frozen=True)
class ArraySample:
    """An in-memory sample in the shape the evaluators read."""
    image: np.ndarray
    mask: np.ndarray | None = None
    annotations: tuple | None = None


def segmenter_config(input_size: int) -> dict:
    spec = InputSpec(input_size, input_size, IMAGENET_MEAN, IMAGENET_STD)
    return {"task": "segmentation", "architecture": SEGMENTER_ARCHITECTURE, "input": spec.to_manifest(),
            "labels": [{"index": 0, "key": "clean", "name": "clean"},
                       {"index": 1, "key": "artifact", "name": "artifact"}],
            "trained_classes": ["artifact"], "thresholds": untuned(("pixel", "image")),
            "image_score": DEFAULT_IMAGE_SCORE,
            "outputs": {"logits": "N x 1 x H x W artifact logits; sigmoid gives the probability"}}


def classifier_config(input_size: int, pooling: str = "mean") -> dict:
    spec = InputSpec(input_size, input_size, IMAGENET_MEAN, IMAGENET_STD)
    return {"task": "classification", "architecture": CLASSIFIER_ARCHITECTURE, "pooling": pooling,
            "input": spec.to_manifest(),
            "labels": [c.to_dict() for c in taxonomy.CLASSES], "trained_classes": [],
            "thresholds": untuned(("artifact",), (c.key for c in taxonomy.CLASSES)),
            "outputs": {"class_logits": "N x K, sigmoid per class (multi-label), K = len(labels)",
                        "artifact_logit": "N x 1, sigmoid gives P(image has an artifact)"}}


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def freeze_early_layers(model: torch.nn.Module, blocks: int) -> list[torch.nn.Module]:
    """Stop training the encoder's stem and first ``blocks`` blocks (their BN stats too):
    generic ImageNet edges, and at full resolution the costliest part of a backward pass."""
    if blocks <= 0:
        return []
    encoder = model.encoder
    frozen = [encoder._conv_stem, encoder._bn0, *encoder._blocks[:blocks]]
    for module in frozen:
        module.requires_grad_(False)
    return frozen


def parameter_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """Weight decay on conv / linear weights only. Biases, BN and the classifier's scale and
    class biases are not decayed: decay would drag an untrained (zero-shot) class's bias
    away from its prior although it never gets a gradient."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [{"params": [p for p in trainable if p.ndim > 1], "weight_decay": weight_decay},
            {"params": [p for p in trainable if p.ndim <= 1], "weight_decay": 0.0}]


def _lr_at(step: int, total: int, options: TrainOptions) -> float:
    """Linear warm-up, then cosine decay to 1% of the peak."""
    if step < options.warmup_steps:
        return options.lr * (step + 1) / options.warmup_steps
    progress = (step - options.warmup_steps) / max(1, total - options.warmup_steps)
    return options.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _fit(model: torch.nn.Module, config: dict, out: Path, options: TrainOptions, n_train: int,
         train_step: Callable, val_loss: Callable, label: str) -> list:
    """The shared epoch loop: seeded order, lr schedule, per-epoch log line, resumable state."""
    out.mkdir(parents=True, exist_ok=True)
    frozen = freeze_early_layers(model, options.freeze_blocks)
    optimizer = torch.optim.AdamW(parameter_groups(model, options.weight_decay), lr=options.lr)
    steps_per_epoch = max(1, n_train // options.batch_size)
    total_steps = steps_per_epoch * options.epochs
    start_epoch, log = 0, []
    if options.resume and (out / LAST_DIR / "state.json").is_file():
        resumed, _ = load_checkpoint(out / LAST_DIR)
        model.load_state_dict(resumed.state_dict())
        state = load_training_state(optimizer, out / LAST_DIR)
        start_epoch, log = state["epoch"] + 1, state["log"]
    for epoch in range(start_epoch, options.epochs):
        started = time.perf_counter()
        model.train()
        for module in frozen:
            module.eval()
        rng = np.random.default_rng([options.seed, epoch])
        order = rng.permutation(n_train)
        progress = Progress(f"{label} epoch {epoch + 1}/{options.epochs}", steps_per_epoch, options.quiet)
        losses = []
        for step in range(steps_per_epoch):
            for group in optimizer.param_groups:
                group["lr"] = _lr_at(epoch * steps_per_epoch + step, total_steps, options)
            loss = train_step(order[step * options.batch_size:(step + 1) * options.batch_size], rng)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            progress.update(step + 1, f"loss {np.mean(losses[-20:]):.4f}")
        progress.close()
        model.eval()
        with torch.inference_mode():
            validation = val_loss()
        entry = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "val_loss": validation,
                 "lr": optimizer.param_groups[0]["lr"], "seconds": round(time.perf_counter() - started, 1)}
        log.append(entry)
        with open(out / LOG_FILE, "a") as handle:
            handle.write(json.dumps({"model": label, **entry}) + "\n")
        if not options.quiet:
            print(f"{label} epoch {entry['epoch']}/{options.epochs} train_loss {entry['train_loss']:.4f} "
                  f"val_loss {validation:.4f} lr {entry['lr']:.2e} {entry['seconds']}s", flush=True)
        save_checkpoint(model, config, out / LAST_DIR)
        save_training_state(optimizer, {"epoch": epoch, "log": log}, out / LAST_DIR)
    return log


def build_key(config: dict) -> tuple:
    """What must match for one checkpoint's weights to fit another's model."""
    return config["architecture"], config.get("pooling", "mean"), len(config["labels"])


def initial_model(config: dict, options: TrainOptions) -> torch.nn.Module:
    from artifactsdk.models.encoder import load_imagenet_weights

    seed_everything(options.seed)
    model = build_model(config)
    if options.init:
        start, start_config = load_checkpoint(options.init)
        if build_key(start_config) != build_key(config):
            raise InvalidInputError(f"--init {options.init} is a {build_key(start_config)} checkpoint; "
                             f"this run trains {build_key(config)}")
        model.load_state_dict(start.state_dict())
    elif options.imagenet:
        load_imagenet_weights(model.encoder)
    if options.encoder_from:
        copy_encoder(load_checkpoint(options.encoder_from)[0].encoder, model.encoder)
    return model


def copy_encoder(source: torch.nn.Module, target: torch.nn.Module) -> None:
    """Copy every encoder tensor ``source`` has into ``target``. The segmenter's encoder has
    no 1280-channel head, so a classifier keeps its ImageNet head and gets the stem and
    blocks the segmenter trained to respond to artifacts."""
    own, given = target.state_dict(), source.state_dict()
    shared = {key: value for key, value in given.items() if key in own and own[key].shape == value.shape}
    if not any(key.startswith("_blocks.") for key in shared):
        raise InvalidInputError("--encoder-from: that checkpoint's encoder shares no blocks with this model's")
    target.load_state_dict(shared, strict=False)


def _batches(indices: np.ndarray, size: int, limit: int):
    for start in range(0, min(len(indices), size * limit), size):
        yield indices[start:start + size]


def train_segmenter(data: SegmentationArrays, out: str | Path, options: TrainOptions) -> TrainResult:
    out = Path(out)
    if options.crop % 32 or options.input_size % 32:
        raise InvalidInputError(f"crop ({options.crop}) and input size ({options.input_size}) must be multiples of 32")
    config = {**segmenter_config(options.input_size), "training": options.to_dict()}
    spec = InputSpec.from_manifest(config["input"])
    train_idx, val_idx = split_indices(len(data), options.val_fraction, options.seed)
    train, val = data.subset(train_idx), data.subset(val_idx)
    positive = float(np.mean([m.mean() for m in train.masks]))
    pos_weight = float(np.clip(math.sqrt((1 - positive) / max(positive, 1e-6)), 1.0, 10.0))
    model = initial_model(config, options)

    def train_step(indices, rng):
        pixels, masks = segmentation_batch(train, indices, options.crop, spec, rng)
        return bce_dice_loss(model(torch.from_numpy(pixels)), torch.from_numpy(masks), pos_weight)

    def val_loss():
        losses = [float(bce_dice_loss(model(torch.from_numpy(p)), torch.from_numpy(m), pos_weight))
                  for p, m in (centre_crop_batch(val, idx, options.crop, spec)
                               for idx in _batches(np.arange(len(val)), options.batch_size, options.max_val_batches))]
        return float(np.mean(losses)) if losses else float("nan")

    log = _fit(model, config, out, options, len(train), train_step, val_loss, "segmenter")
    config["thresholds"] = tune_segmenter_thresholds(model, config, val) if len(val) else config["thresholds"]
    config["training"] = {**config["training"], "pos_weight": pos_weight,
                          "train_images": len(train), "val_images": len(val)}
    return TrainResult(save_checkpoint(model, config, out), log)


def tune_segmenter_thresholds(model: torch.nn.Module, config: dict, val: SegmentationArrays) -> dict:
    """Pixel threshold with the best validation F1, image threshold with the best image-level F1."""
    predict = predictor_for(model, config)
    histogram, scores, truths, _ = segmenter_outputs(
        predict, (ArraySample(image, mask) for image, mask in zip(val.images, val.masks)))
    return {"pixel": histogram.best_f1_threshold(), "image": best_f1_threshold(np.asarray(truths), np.asarray(scores))}


def train_classifier(data: ClassificationArrays, out: str | Path, options: TrainOptions,
                     text_embeddings: torch.Tensor | None = None) -> TrainResult:
    """``text_embeddings`` (K x 384) defaults to the MiniLM embeddings of the taxonomy prompts."""
    out = Path(out)
    config = {**classifier_config(options.crop), "training": options.to_dict()}
    spec = InputSpec.from_manifest(config["input"])
    train_idx, val_idx = split_indices(len(data), options.val_fraction, options.seed)
    train, val = data.subset(train_idx), data.subset(val_idx)
    support = (train.classes * train.labelled[:, None]).sum(axis=0)
    trained = torch.from_numpy(support >= options.min_class_support)
    config["trained_classes"] = [c.key for c in taxonomy.CLASSES if trained[c.index]]
    if not config["trained_classes"]:
        raise InvalidInputError(f"no class has {options.min_class_support} or more labelled examples in the training split")
    model = initial_model(config, options)
    if text_embeddings is None:
        from artifactsdk.models.text_embeddings import embed_prompts, label_prompts
        text_embeddings = embed_prompts(label_prompts(config["labels"]))
    model.set_text_embeddings(text_embeddings)

    def loss_on(arrays, indices, rng=None):
        pixels, classes, labelled, has = classification_batch(arrays, indices, spec, rng)
        class_logits, artifact_logit = model(torch.from_numpy(pixels))[:2]
        return classifier_loss(class_logits, artifact_logit, torch.from_numpy(classes),
                               torch.from_numpy(labelled), torch.from_numpy(has), trained)

    def val_loss():
        losses = [float(loss_on(val, idx))
                  for idx in _batches(np.arange(len(val)), options.batch_size, options.max_val_batches)]
        return float(np.mean(losses)) if losses else float("nan")

    log = _fit(model, config, out, options, len(train), lambda indices, rng: loss_on(train, indices, rng),
               val_loss, "classifier")
    if len(val):
        config["thresholds"] = tune_classifier_thresholds(model, val, config)
    config["training"] = {**config["training"], "train_images": len(train), "val_images": len(val),
                          "class_support": {c.key: int(support[c.index]) for c in taxonomy.CLASSES}}
    return TrainResult(save_checkpoint(model, config, out), log)


def classifier_probabilities(model: torch.nn.Module, config: dict, data: ClassificationArrays,
                             batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """(class probabilities, has-artifact probability) of every image of `data`, the model
    run by the torch backend and its outputs decoded as the runtime does."""
    backend, outputs = checkpoint_backend(model, config)
    spec = InputSpec.from_manifest(config["input"])
    classes, artifact = [], []
    for start in range(0, len(data), batch_size):
        pixels = classification_batch(data, range(start, min(start + batch_size, len(data))), spec)[0]
        batch_classes, batch_artifact = postprocess.classifier_probabilities(backend.run_batch(pixels), outputs)
        classes.append(batch_classes)
        artifact.append(batch_artifact)
    return np.concatenate(classes), np.concatenate(artifact)


def tune_classifier_thresholds(model: torch.nn.Module, val: ClassificationArrays, config: dict) -> dict:
    """Per trained class the validation-F1-best threshold; untrained (zero-shot) classes keep 0.5."""
    classes, artifact = classifier_probabilities(model, config, val)
    thresholds = dict(config["thresholds"]["classes"])
    labelled = val.labelled
    for label in config["labels"]:
        if label["key"] in config["trained_classes"] and val.classes[labelled, label["index"]].any():
            thresholds[label["key"]] = best_f1_threshold(val.classes[labelled, label["index"]],
                                                         classes[labelled, label["index"]])
    return {"artifact": best_f1_threshold(val.has_artifact, artifact), "classes": thresholds}
