"""What the SDK's own models return, by task: each output's name (the ONNX export gives the
graph these names) and its meaning (the manifest schema's `semantics`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutputSpec:
    """One graph output: its name in the graph and its meaning (the schema's semantics enum)."""

    name: str
    semantics: str


TASK_OUTPUTS: dict[str, tuple[OutputSpec, ...]] = {
    "segmentation": (OutputSpec("artifact_logits", "artifact_logit"),),
    # a classifier with an evidence map (models/classifier.py) returns the third output too
    "classification": (OutputSpec("class_logits", "class_logits"),
                       OutputSpec("artifact_logit", "image_artifact_logit"),
                       OutputSpec("artifact_map", "image_artifact_map")),
}


def checkpoint_outputs(config: dict) -> list[dict]:
    """The outputs the model of a checkpoint's `config` returns, as manifest entries (name,
    semantics): a classifier's evidence map only when the config gives it one."""
    return [{"name": output.name, "semantics": output.semantics} for output in TASK_OUTPUTS[config["task"]]
            if output.semantics != "image_artifact_map" or config.get("evidence_map")]
