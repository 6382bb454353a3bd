"""`artifactsdk export`: checkpoints -> a verified ONNX bundle (fp32 / int8 / fp16)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from artifactsdk.calibration.sources import DEFAULT_CALIB_COUNT, DEFAULT_CALIB_SEED
from artifactsdk.errors import ArtifactSDKError, ExportError
from artifactsdk.export.heldout import DEFAULT_EVAL_COUNT, DEFAULT_EVAL_SEED
from artifactsdk.export.sources.cli_options import source_options

ROLES = ("segmenter", "classifier")


def shipped_weights() -> Path:
    return Path(str(resources.files("artifactsdk.models").joinpath("weights")))


def checkpoint_dirs(target: str, checkpoint: Path | None) -> dict[str, Path]:
    """role -> checkpoint directory; for `all`, `checkpoint` holds segmenter/ and classifier/."""
    root = checkpoint or shipped_weights()
    if target != "all":
        return {target: root / target if checkpoint is None else root}
    missing = [role for role in ROLES if not (root / role).is_dir()]
    if missing:
        raise ExportError(f"'export all' expects {root} to hold the checkpoint directories "
                          f"{', '.join(ROLES)}; {', '.join(missing)} missing. Export one model with "
                          "'artifactsdk export segmenter --checkpoint DIR' instead.")
    return {role: root / role for role in ROLES}


@click.command("export")
@click.argument("target", type=click.Choice(["segmenter", "classifier", "all"]))
@click.option("--checkpoint", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Checkpoint directory (for 'all': one holding segmenter/ and classifier/). "
                   "Default: the shipped weights.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Bundle directory.")
@click.option("--precision", default="fp32,int8", show_default=True, help="Comma-separated: fp32,int8,fp16.")
@click.option("--calib", "calib_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of calibration images (instead of synthetic ones).")
@click.option("--calib-synth", default=DEFAULT_CALIB_COUNT, show_default=True,
              help="Number of synthetic calibration images.")
@click.option("--seed", default=DEFAULT_CALIB_SEED, show_default=True, help="Seed of the synthetic calibration images.")
@click.option("--calib-method", type=click.Choice(["minmax", "entropy", "percentile"]), default="minmax",
              show_default=True, help="minmax: the observed range; entropy: TensorRT's KL search; "
                                      "percentile: clip the rarest values.")
@click.option("--calib-bins", type=int, help="Histogram bins (entropy: 2048, percentile: 2048).")
@click.option("--calib-quantized-bins", type=int, help="Entropy: bins of the quantized histogram (128).")
@click.option("--calib-percentile", type=float, help="Percentile: the kept share of |values| (99.999).")
@click.option("--preset", type=click.Choice(["cpu", "tensorrt"]), default="cpu", show_default=True,
              help="cpu: uint8 activations, int8 weights; tensorrt: int8 symmetric activations and weights.")
@click.option("--per-channel/--no-per-channel", default=True, show_default=True,
              help="Per-output-channel weight scales.")
@click.option("--keep-float-op", multiple=True, help="Op type to leave in float in the int8 model (repeatable).")
@click.option("--keep-float-node", multiple=True, help="Node name to leave in float in the int8 model (repeatable).")
@click.option("--float-heads/--int8-heads", default=True, show_default=True,
              help="Keep the output heads (last Conv / Gemm / MatMul to each output) in float.")
@click.option("--float-search", default=4, show_default=True, type=click.IntRange(min=0),
              help="If int8 fails the accuracy gate, keep up to this many of its most sensitive modules "
                   "(measured on calibration images) in float, one at a time, until it passes; 0: fail at once.")
@click.option("--min-sqnr", default=28.0, show_default=True, type=click.FloatRange(min=0),
              help="int8 is also searched (see --float-search) while its outputs' signal-to-noise ratio "
                   "against fp32 on calibration images is below this many dB: the gate's metric can hold "
                   "while single decisions flip. 0 turns it off.")
@click.option("--min-label-agreement", default=0.95, show_default=True, type=click.FloatRange(0, 1),
              help="A classifier's int8 is also searched while its label sets match fp32's on fewer than "
                   "this share of the held-out images; if the search ends below it, the classifier runs "
                   "fp32 in the int8 pipeline (recorded in the manifest). 0 turns it off.")
@click.option("--max-drop", default=1.0, show_default=True,
              help="Points of IoU (segmenter) / macro-F1 (classifier) int8 or fp16 may lose against fp32.")
@click.option("--opset", default=17, show_default=True, help="ONNX opset (>= 13).")
@click.option("--no-validate", is_flag=True, help="Skip the fp32-ONNX-against-torch check (not recommended).")
@click.option("--eval-synth", default=DEFAULT_EVAL_COUNT, show_default=True,
              help="Number of synthetic held-out images for the accuracy gate.")
@click.option("--eval-seed", default=DEFAULT_EVAL_SEED, show_default=True,
              help="Seed of the held-out images; must differ from --seed.")
@click.option("--eval-data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Held-out dataset folder (synth, PAL or SynArtifact-1K layout) instead of synthetic images.")
@click.option("--sign", "sign_key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ed25519 private key (PEM): write manifest.json.sig, which Detector.load(trusted_keys=...) "
                   "and 'validate --key' check. Needs artifactsdk[sign].")
@click.option("--quiet", is_flag=True, help="No progress output.")
@source_options
def export(target, checkpoint, out, precision, calib_dir, calib_synth, seed, calib_method, calib_bins,
           calib_quantized_bins, calib_percentile, preset, per_channel, keep_float_op, keep_float_node,
           float_heads, float_search, min_sqnr, min_label_agreement, max_drop, opset, no_validate, eval_synth, eval_seed, eval_data, sign_key, quiet, sources):
    """Export TARGET (segmenter, classifier or all) to an ONNX bundle in --out."""
    from artifactsdk.export.plan import ExportPlan, run_plan

    try:
        if sign_key is not None:
            from artifactsdk.signing import load_private_key, sign_bundle

            key = load_private_key(sign_key)  # a bad key fails now, not after the export
        plan = ExportPlan.from_cli(
            checkpoints=checkpoint_dirs(target, checkpoint) if sources is None else {}, out=out, precision=precision,
            calib_dir=calib_dir, calib_count=calib_synth, calib_seed=seed, calib_method=calib_method,
            calib_bins=calib_bins, calib_quantized_bins=calib_quantized_bins, calib_percentile=calib_percentile,
            preset=preset, per_channel=per_channel, keep_float_ops=keep_float_op, keep_float_nodes=keep_float_node,
            keep_float_heads=float_heads, float_search=float_search, min_sqnr=min_sqnr,
            min_label_agreement=min_label_agreement,
            max_drop=max_drop, opset=opset, validate=not no_validate, eval_count=eval_synth, eval_seed=eval_seed,
            eval_dir=eval_data, quiet=quiet)
        manifest = run_plan(plan, sources)
        if sign_key is not None:
            sign_bundle(out, key)
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    from artifactsdk.export.summary import summary_table

    click.echo(summary_table(out, manifest))
