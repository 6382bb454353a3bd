"""A TorchScript segmenter file (PAL's release format) as the bundle's segmenter.

The preprocessing spec says how the model was fed; the defaults are PAL's released
settings: 512 x 512, stretched (no aspect ratio kept), mmseg mean / std on 0-255 RGB,
and an argmax mask as output. `logits` takes one channel as a sigmoid logit or two
as softmax logits; `probability` takes one channel (or the artifact channel).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from artifactsdk.errors import ExportError
from artifactsdk.export.sources import SourceModel, segmenter_config
from artifactsdk.preprocess import IMAGENET_MEAN, IMAGENET_STD, InputSpec

TS_OUTPUTS = ("argmax", "logits", "probability")


@dataclass(frozen=True)
class TorchScriptSpec:
    """How the scripted model expects its input and what it returns (PAL's by default)."""
    height: int = 512
    width: int = 512
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    colour_order: str = "RGB"
    resize: str = "stretch"
    output: str = "argmax"
    artifact_class: int = 1

    def __post_init__(self):
        if self.output not in TS_OUTPUTS:
            raise ExportError(f"--ts-output must be one of {TS_OUTPUTS}, got {self.output!r}.")
        if self.resize != "stretch":
            raise ExportError(f"resize policy {self.resize!r} is not supported: bundles resize by stretching "
                              "to the model's size (PAL's policy).")
        if self.colour_order not in ("RGB", "BGR"):
            raise ExportError(f"colour order must be RGB or BGR, got {self.colour_order!r}.")

    def input_spec(self) -> InputSpec:
        return InputSpec(height=self.height, width=self.width, mean=tuple(self.mean), std=tuple(self.std),
                         colour_order=self.colour_order, resize=self.resize)

    def to_dict(self) -> dict:
        return {"height": self.height, "width": self.width, "mean": list(self.mean), "std": list(self.std),
                "colour_order": self.colour_order, "resize": self.resize, "output": self.output,
                "artifact_class": self.artifact_class}


def _first_tensor(outputs):
    """A scripted model may return a tensor, a tuple/list or a dict; the mask or logits come first."""
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    return outputs[0] if isinstance(outputs, (tuple, list)) else outputs


def _scripted_output(source, pixels):
    return _first_tensor(source(pixels))


def _mapping(spec: TorchScriptSpec, sample) -> str:
    """The artifact_head kind for this spec, given one sample output of the model."""
    if spec.output == "argmax":
        if sample.is_floating_point():
            raise ExportError(f"the model returns {sample.dtype} values, not an argmax mask; "
                              "pass --ts-output logits or probability.")
        return "argmax"
    if spec.output == "probability":
        return "probability"
    return "sigmoid" if sample.dim() == 4 and sample.shape[1] == 1 else "softmax"


def load_torchscript_segmenter(path: str | Path, spec: TorchScriptSpec = TorchScriptSpec()) -> SourceModel:
    """SourceModel for the scripted segmenter at `path`, fed and read as `spec` says."""
    import torch

    # imports torch: only when this runs
    from artifactsdk.export.sources.artifact_head import SOURCE_SEMANTICS, ArtifactLogitModel, check_channels

    path = Path(path)
    try:
        scripted = torch.jit.load(str(path), map_location="cpu").eval()
    except (RuntimeError, ValueError) as exc:
        raise ExportError(f"{path} is not a TorchScript file torch can load ({exc}). Save one with "
                          "torch.jit.save(torch.jit.script(model) or torch.jit.trace(model, x), PATH).") from exc
    with torch.no_grad():
        sample = _first_tensor(scripted(torch.zeros(1, 3, spec.height, spec.width)))
    kind = _mapping(spec, sample)
    if kind != "argmax":
        check_channels(sample.shape[1], kind, spec.artifact_class, f"the model in {path}")
    source = {"kind": "torchscript-segmenter", "name": path.name, **spec.to_dict(), "mapping": kind,
              "source_semantics": SOURCE_SEMANTICS[kind], "output_shape": list(sample.shape)}
    # fixed height and width: a TorchScript release is usually traced at its one size (PAL's is)
    config = segmenter_config(f"torchscript:{path.stem}", spec.input_spec().to_manifest(dynamic_hw=False), source)
    # torch.onnx's tracer refuses a loaded ScriptModule nested in an eager module, so the
    # wrapper is traced into TorchScript first (batch 2: no batch-1 specialisation).
    wrapper = ArtifactLogitModel(scripted, kind, spec.artifact_class, _scripted_output).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shape checks it freezes, by design here
        module = torch.jit.trace(wrapper, torch.zeros(2, 3, spec.height, spec.width), check_trace=False)
    return SourceModel(module, config)
