"""A Hugging Face CLIP or SigLIP directory as the bundle's classifier (zero-shot).

At export time the model's own text tower embeds every class's prompts (the taxonomy's,
averaged per class) and two image-level prompts; the embeddings become constants of an
image-only graph, so the runtime never runs text. Per class k, with c = cosine(image, text):

- SigLIP, trained with a sigmoid loss: `logit_k = scale * c_k + bias`, its own calibrated
  per-prompt probability;
- CLIP, trained with a softmax over captions: `logit_k = scale * (c_k - c_clean)`, the
  two-way softmax of "class k" against "a clean image" (a softmax over all 13 classes
  would force one artifact onto every image).

`artifact_logit` is the same formula for the artifact prompt ("an image with
artifacts") against the clean prompt ("a clean image"), each an average of the prompts
listed below.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from artifactsdk import taxonomy
from artifactsdk.errors import ExportError, MissingDependencyError
from artifactsdk.export.sources import TRANSFORMER_FLOAT_OUTPUTS, TRANSFORMER_INT8_OPS, SourceModel
from artifactsdk.export.sources.hf_preprocessing import input_spec_from_processor
from artifactsdk.thresholds import untuned

ARTIFACT_PROMPTS = ("an image with artifacts", "a generated image with visible artifacts")
CLEAN_PROMPTS = ("a clean image", "a generated image without artifacts")
CLIP_MEAN_01 = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD_01 = (0.26862954, 0.26130258, 0.27577711)
SIGLIP_MEAN_01 = SIGLIP_STD_01 = (0.5, 0.5, 0.5)


def _model_family(model_type: str) -> str:
    if model_type.startswith("siglip"):
        return "siglip"
    if model_type.startswith("clip"):
        return "clip"
    raise ExportError(f"a vision-language classifier must be a CLIP or SigLIP model; this directory "
                      f"holds a {model_type!r}.")


def load_hf_clip(directory: str | Path, size: tuple[int, int] | None = None,
                 artifact_prompts: tuple[str, ...] = ARTIFACT_PROMPTS,
                 clean_prompts: tuple[str, ...] = CLEAN_PROMPTS) -> SourceModel:
    """SourceModel for the CLIP / SigLIP model and tokenizer saved in `directory`."""
    try:
        from transformers import AutoConfig, AutoModel, AutoTokenizer
    except ImportError as exc:
        raise MissingDependencyError("transformers", "export", "Exporting a Hugging Face model") from exc
    directory = Path(directory)
    if not (directory / "config.json").is_file():
        raise ExportError(f"{directory} is not a Hugging Face model directory: it has no config.json.")
    family = _model_family(AutoConfig.from_pretrained(directory).model_type)
    model = AutoModel.from_pretrained(directory).eval()
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory)
    except (OSError, ValueError) as exc:
        raise ExportError(f"{directory} has no usable tokenizer ({exc}); the class prompts are embedded by the "
                          "model's own text tower, so save its tokenizer there too.") from exc

    classes = [list(c.prompts) for c in taxonomy.CLASSES]
    prompt_sets = classes + [list(artifact_prompts), list(clean_prompts)]
    with torch.no_grad():
        text = _embed_prompt_sets(model, tokenizer, prompt_sets)
    default_size = (model.config.vision_config.image_size,) * 2
    mean, std = (SIGLIP_MEAN_01, SIGLIP_STD_01) if family == "siglip" else (CLIP_MEAN_01, CLIP_STD_01)
    spec = input_spec_from_processor(directory, default_size, mean, std, size)
    head = ZeroShotClassifier(model, text[:-2], text[-2], text[-1], family)
    config = {
        "task": "classification",
        "architecture": f"hf:{model.config.model_type}-zero-shot",
        "input": spec.to_manifest(),
        "labels": [c.to_dict() for c in taxonomy.CLASSES],
        # zero-shot scores every class; the held-out synthetic set can judge the injectable ones
        "trained_classes": [taxonomy.CLASSES[i].key for i in taxonomy.INJECTABLE],
        "thresholds": untuned(("artifact",), (c.key for c in taxonomy.CLASSES)),
        "source": {"kind": "huggingface-zero-shot", "name": directory.name, "model_type": model.config.model_type,
                   "family": family, "scoring": ZeroShotClassifier.SCORING[family],
                   "artifact_prompts": list(artifact_prompts), "clean_prompts": list(clean_prompts)},
    }
    return SourceModel(head.eval(), config, int8_op_types=TRANSFORMER_INT8_OPS,
                       int8_float_outputs=TRANSFORMER_FLOAT_OUTPUTS)


def _embed_prompt_sets(model, tokenizer, prompt_sets: list[list[str]]):
    """One L2-normalised text embedding per prompt set: the mean of its prompts' embeddings."""
    flat = [prompt for prompts in prompt_sets for prompt in prompts]
    # SigLIP was trained on max-length padding; CLIP pools at the end token, so padding does not matter
    tokens = tokenizer(flat, padding="max_length", truncation=True, return_tensors="pt",
                       max_length=min(getattr(tokenizer, "model_max_length", 64), 64))
    features = F.normalize(model.get_text_features(input_ids=tokens["input_ids"],
                                                   **({"attention_mask": tokens["attention_mask"]}
                                                      if "attention_mask" in tokens else {})), dim=-1)
    rows, start = [], 0
    for prompts in prompt_sets:
        rows.append(features[start:start + len(prompts)].mean(dim=0))
        start += len(prompts)
    return F.normalize(torch.stack(rows), dim=-1)


class ZeroShotClassifier(nn.Module):
    """pixels -> (class_logits N x K, artifact_logit N x 1); the text embeddings are buffers."""

    SCORING = {"siglip": "scale * cos + bias", "clip": "scale * (cos - cos_clean)"}

    def __init__(self, model, class_text: torch.Tensor, artifact_text: torch.Tensor, clean_text: torch.Tensor,
                 family: str):
        super().__init__()
        self.model = model
        self.family = family
        self.register_buffer("class_text", class_text.clone())
        self.register_buffer("artifact_text", artifact_text[None].clone())
        self.register_buffer("clean_text", clean_text[None].clone())
        self.register_buffer("scale", model.logit_scale.detach().exp().reshape(1))
        bias = getattr(model, "logit_bias", None)
        self.register_buffer("bias", bias.detach().reshape(1) if bias is not None else torch.zeros(1))

    def forward(self, pixels: torch.Tensor):
        image = F.normalize(self.model.get_image_features(pixel_values=pixels), dim=-1)
        classes = image @ self.class_text.t()
        artifact = image @ self.artifact_text.t()
        if self.family == "siglip":
            return self.scale * classes + self.bias, self.scale * artifact + self.bias
        clean = image @ self.clean_text.t()
        return self.scale * (classes - clean), self.scale * (artifact - clean)
