"""Checkpoints: a directory with ``model.safetensors`` and ``config.json``. No pickles.

The config says everything needed to rebuild and feed the model (architecture, input
spec with normalisation, labels with prompts, trained classes, thresholds), so
loading needs only torch, safetensors and this package.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from artifactsdk.errors import BundleError, MissingDependencyError
from artifactsdk.models.classifier import ArtifactClassifier
from artifactsdk.models.encoder import load_imagenet_weights
from artifactsdk.models.segmenter import ArtifactSegmenter

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
FORMAT_VERSION = 1
WEIGHTS_PACKAGE = "artifactsdk-weights"

SEGMENTER_ARCHITECTURE = "efficientnet_lite0_fpn"
CLASSIFIER_ARCHITECTURE = "efficientnet_lite0_text_cosine"
ARCHITECTURES = {
    SEGMENTER_ARCHITECTURE: ("segmentation", lambda config: ArtifactSegmenter()),
    CLASSIFIER_ARCHITECTURE: ("classification", lambda config: ArtifactClassifier(
        len(config["labels"]), pooling=config.get("pooling", "mean"),
        evidence=bool(config.get("evidence_map")),
        nss=(tuple(config["input"]["mean"]), tuple(config["input"]["std"])) if config.get("scene_statistics") else None,
        stage_statistics=bool(config.get("stage_statistics")), score_encoder=bool(config.get("score_encoder")))),
}


def build_model(config: dict) -> nn.Module:
    """A randomly initialised model of the config's architecture (no weights are read)."""
    architecture = config.get("architecture")
    if architecture not in ARCHITECTURES:
        raise BundleError(f"unknown model architecture {architecture!r}; expected one of "
                          f"{', '.join(ARCHITECTURES)}. Is the config from a newer artifactsdk?")
    task, factory = ARCHITECTURES[architecture]
    if config.get("task") != task:
        raise BundleError(f"config task {config.get('task')!r} does not match architecture "
                          f"{architecture!r} (expected task {task!r})")
    return factory(config)


def save_checkpoint(model: nn.Module, config: dict, out_dir: str | Path,
                    dtype: torch.dtype = torch.float32) -> Path:
    """Write weights (floating tensors cast to ``dtype``) and config into ``out_dir``."""
    from safetensors.torch import save_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {name: (t.detach().to(dtype) if t.is_floating_point() else t.detach()).contiguous()
             for name, t in model.state_dict().items()}
    save_file(state, str(out / WEIGHTS_FILE), metadata={"format": "pt", "dtype": str(dtype)})
    (out / CONFIG_FILE).write_text(json.dumps({"format_version": FORMAT_VERSION, **config}, indent=2) + "\n")
    return out


def shipped_weights() -> Path:
    """The folder of the default models' trained weights: segmenter/, classifier/, restorer.pt.

    They come in their own distribution (artifactsdk-weights), which the export, train and
    fix extras install, so the torch-free runtime wheel does not carry them.
    """
    try:
        import artifactsdk_weights
    except ImportError as exc:
        raise MissingDependencyError(WEIGHTS_PACKAGE, "export",
                                     "The default models' torch weights (export, train, tune, fix)") from exc
    return artifactsdk_weights.ROOT


def shipped_checkpoint(name: str) -> Path:
    """Folder of a shipped default checkpoint: ``"segmenter"`` or ``"classifier"``."""
    path = shipped_weights() / name
    if not (path / CONFIG_FILE).is_file():
        raise BundleError(f"no shipped {name!r} checkpoint in {path.parent}; expected 'segmenter' or "
                          f"'classifier' (reinstall {WEIGHTS_PACKAGE}, or make them: python -m artifactsdk.training.recipe)")
    return path


def read_config(path: str | Path) -> dict:
    """The config.json of a checkpoint directory."""
    config_path = Path(path) / CONFIG_FILE
    if not config_path.is_file():
        raise BundleError(f"no {CONFIG_FILE} in {path}; a checkpoint is a directory holding "
                          f"{WEIGHTS_FILE} and {CONFIG_FILE} (made by save_checkpoint or artifactsdk train)")
    return json.loads(config_path.read_text())


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict]:
    """(model in eval mode with float32 weights, config) from a checkpoint directory."""
    from safetensors.torch import load_file

    config = read_config(path)
    weights = Path(path) / WEIGHTS_FILE
    if not weights.is_file():
        raise BundleError(f"no {WEIGHTS_FILE} in {path}; the checkpoint is incomplete, save it again")
    model = build_model(config)
    state = {name: t.float() if t.is_floating_point() else t for name, t in load_file(str(weights)).items()}
    own_shapes = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    found_shapes = {name: tuple(t.shape) for name, t in state.items()}
    if own_shapes != found_shapes:
        differing = sorted(set(own_shapes.items()) ^ set(found_shapes.items()))[:3]
        raise BundleError(f"weights in {weights} do not fit architecture {config['architecture']!r} "
                          f"(first differences: {differing}); the config and weights are from different models")
    model.load_state_dict(state)
    return model.eval(), config


EVIDENCE_OUTPUT = "N x 1 x H/32 x W/32 has-artifact logit per position; its mean is artifact_logit"


def with_score_parts(model: nn.Module, config: dict, evidence_map: bool, scene_statistics: bool,
                     stage_statistics: bool, score_encoder: bool) -> nn.Module:
    """The classifier rebuilt with the image-score parts asked for (its evidence map, the
    natural-scene or the feature-map statistics, an encoder of its own): the same weights,
    a new score encoder at ImageNet's weights, the other new parts zero until fitted.
    Updates ``config`` to say so."""
    config.update(evidence_map=evidence_map, scene_statistics=scene_statistics, stage_statistics=stage_statistics,
                  score_encoder=score_encoder)
    outputs = config.setdefault("outputs", {})
    if evidence_map:
        outputs["artifact_map"] = EVIDENCE_OUTPUT
    else:
        outputs.pop("artifact_map", None)
    rebuilt = build_model(config)
    wanted = rebuilt.state_dict().keys()
    state = {name: tensor for name, tensor in model.state_dict().items() if name in wanted}
    missing, _ = rebuilt.load_state_dict(state, strict=False)
    unexpected_missing = [name for name in missing if not name.startswith(("nss", "stage_head", "score_encoder."))]
    if unexpected_missing:
        raise BundleError(f"the classifier lacks weights {unexpected_missing[:3]} that its rebuilt model keeps")
    if any(name.startswith("score_encoder.") for name in missing):
        load_imagenet_weights(rebuilt.score_encoder)
    return rebuilt.eval()
