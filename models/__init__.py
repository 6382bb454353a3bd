"""artifactsdk.models: torch definitions of the default segmenter and classifier, and
their checkpoints (safetensors + config.json)."""

from artifactsdk.models.checkpoint import (
    build_model,
    load_checkpoint,
    read_config,
    save_checkpoint,
    shipped_checkpoint,
    shipped_weights,
    with_score_parts,
)

__all__ = ["build_model", "load_checkpoint", "read_config", "save_checkpoint", "shipped_checkpoint",
           "shipped_weights", "with_score_parts"]
