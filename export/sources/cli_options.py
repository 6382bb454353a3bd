"""The `artifactsdk export` options that pick a model from outside the SDK:

    artifactsdk export segmenter --hf-dir DIR [--hf-output sigmoid|softmax]
    artifactsdk export classifier --hf-clip DIR
    artifactsdk export segmenter --torchscript FILE [--ts-output argmax|logits|probability]
                                 [--size 512 | 512x384] [--mean R,G,B --std R,G,B] [--colour-order RGB|BGR]

`source_options` adds them to the export command and hands it one `sources` argument
(role -> SourceModel, or None for a native checkpoint export).
"""

from __future__ import annotations

import functools

import click

from artifactsdk.errors import ArtifactSDKError, ExportError
from artifactsdk.export.sources.hf_segmentation import load_hf_segmenter
from artifactsdk.export.sources.torchscript_segmenter import TorchScriptSpec, load_torchscript_segmenter

SOURCE_KEYS = ("hf_dir", "hf_output", "hf_clip", "torchscript", "ts_output", "size", "mean", "std",
               "colour_order", "artifact_class")


def _triple(text: str | None, name: str):
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3:
        raise ExportError(f"--{name} takes three comma-separated numbers on 0-255 pixels (R,G,B), got {text!r}.")
    return values


def _size(text: str | None):
    if text is None:
        return None
    parts = text.lower().split("x")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ExportError(f"--size takes SIDE or HEIGHTxWIDTH in pixels (e.g. 512 or 512x384), got {text!r}.")
    return int(parts[0]), int(parts[1])


def load_sources(target: str, checkpoint, hf_dir=None, hf_output="sigmoid", hf_clip=None, torchscript=None,
                 ts_output="argmax", size=None, mean=None, std=None, colour_order="RGB", artifact_class=1):
    """role -> SourceModel for the given source option, or None when none was given."""
    given = [name for name, value in (("--hf-dir", hf_dir), ("--hf-clip", hf_clip), ("--torchscript", torchscript))
             if value is not None]
    if not given:
        return None
    if len(given) > 1 or checkpoint is not None:
        raise ExportError(f"choose one model source: {', '.join(given + (['--checkpoint'] if checkpoint else []))} "
                          "were given together.")
    role = "classifier" if hf_clip is not None else "segmenter"
    if target != role:
        raise ExportError(f"{given[0]} gives a {role}; run 'artifactsdk export {role} {given[0]} ...'.")
    if hf_dir is not None:
        return {role: load_hf_segmenter(hf_dir, hf_output, artifact_class, _size(size))}
    if hf_clip is not None:
        # imports torch: only when this runs
        from artifactsdk.export.sources.hf_clip import load_hf_clip

        return {role: load_hf_clip(hf_clip, _size(size))}

    defaults = TorchScriptSpec()
    height, width = _size(size) or (defaults.height, defaults.width)
    spec = TorchScriptSpec(height=height, width=width, mean=_triple(mean, "mean") or defaults.mean,
                           std=_triple(std, "std") or defaults.std, colour_order=colour_order, output=ts_output,
                           artifact_class=artifact_class)
    return {role: load_torchscript_segmenter(torchscript, spec)}


def source_options(command):
    """Decorator for the export command: adds the source options, passes `sources=`."""

    @functools.wraps(command)
    def wrapper(**kwargs):
        chosen = {key: kwargs.pop(key) for key in SOURCE_KEYS}
        try:
            sources = load_sources(kwargs["target"], kwargs.get("checkpoint"), **chosen)
        except ArtifactSDKError as exc:
            raise click.ClickException(str(exc)) from exc
        return command(sources=sources, **kwargs)

    path = click.Path(exists=True)
    options = [
        click.option("--hf-dir", type=click.Path(exists=True, file_okay=False),
                     help="Hugging Face semantic-segmentation directory (SegFormer ...), exported through optimum."),
        click.option("--hf-output", type=click.Choice(["sigmoid", "softmax"]), default="sigmoid", show_default=True,
                     help="--hf-dir: one artifact channel (sigmoid) or two classes clean/artifact (softmax)."),
        click.option("--hf-clip", type=click.Path(exists=True, file_okay=False),
                     help="Hugging Face CLIP or SigLIP directory (with its tokenizer) as a zero-shot classifier."),
        click.option("--torchscript", type=path, help="TorchScript segmenter file (PAL's release format)."),
        click.option("--ts-output", type=click.Choice(["argmax", "logits", "probability"]), default="argmax",
                     show_default=True, help="--torchscript: what the scripted model returns."),
        click.option("--size", help="Model input SIDE or HEIGHTxWIDTH (default: the source's; PAL 512)."),
        click.option("--mean", help="--torchscript: R,G,B mean on 0-255 pixels (default mmseg's 123.675,116.28,103.53)."),
        click.option("--std", help="--torchscript: R,G,B std on 0-255 pixels (default mmseg's 58.395,57.12,57.375)."),
        click.option("--colour-order", type=click.Choice(["RGB", "BGR"]), default="RGB", show_default=True,
                     help="--torchscript: channel order the model reads."),
        click.option("--artifact-class", type=int, default=1, show_default=True,
                     help="Index of the artifact class in a two-class output (or argmax mask)."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper
