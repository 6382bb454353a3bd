"""`artifactsdk export`: checkpoints -> a verified ONNX bundle (fp32 / int8 / fp16)."""

from __future__ import annotations

from pathlib import Path

import click

from artifactsdk.errors import ArtifactSDKError
from artifactsdk.export.plan import checkpoint_dirs, export_bundle
from artifactsdk.export.settings import ExportSettings
from artifactsdk.export.sources.cli_options import source_options
from artifactsdk.cli.option_settings import CommaList, build_settings, settings_option
from artifactsdk.export.summary import summary_table
from artifactsdk.signing import load_private_key, sign_bundle


def setting(path: str, *param_decls: str, **attrs):
    return settings_option(ExportSettings, path, *param_decls, **attrs)


@click.command("export")
@click.argument("target", type=click.Choice(["segmenter", "classifier", "all"]))
@click.option("--checkpoint", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Checkpoint directory (for 'all': one holding segmenter/ and classifier/). "
                   "Default: the shipped weights.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Bundle directory.")
@setting("precisions", "--precision", type=CommaList(), help="Comma-separated: fp32,int8,fp16.")
@setting("bundle_files", "--bundle-files", type=CommaList(), show_default="all made",
         help="Comma-separated files the bundle keeps: some of --precision, and 'torch' (the native checkpoint, "
              "for the torch backend). The shipped default bundle keeps int8.")
@setting("data.calib_dir", "--calib", type=click.Path(exists=True, file_okay=False, path_type=Path),
         help="Folder of calibration images (instead of synthetic ones).")
@setting("data.calib_count", "--calib-synth", help="Number of synthetic calibration images.")
@setting("data.calib_seed", "--seed", help="Seed of the synthetic calibration images.")
@setting("int8.calibration.method", "--calib-method", type=click.Choice(["minmax", "entropy", "percentile"]),
         help="minmax: the observed range; entropy: TensorRT's KL search; percentile: clip the rarest values.")
@setting("int8.calibration.num_bins", "--calib-bins", type=int, help="Histogram bins (entropy: 2048, percentile: 2048).")
@setting("int8.calibration.num_quantized_bins", "--calib-quantized-bins", type=int,
         help="Entropy: bins of the quantized histogram (128).")
@setting("int8.calibration.percentile", "--calib-percentile", type=float,
         help="Percentile: the kept share of |values| (99.999).")
@setting("int8.preset", "--preset", type=click.Choice(["cpu", "tensorrt"]),
         help="cpu: uint8 activations, int8 weights; tensorrt: int8 symmetric activations and weights.")
@setting("int8.per_channel", "--per-channel/--no-per-channel", help="Per-output-channel weight scales.")
@setting("int8.keep_float_op_types", "--keep-float-op", multiple=True,
         help="Op type to leave in float in the int8 model (repeatable).")
@setting("int8.keep_float_nodes", "--keep-float-node", multiple=True,
         help="Node, or module as the float search names it (/_blocks.3: all its nodes), to leave in "
              "float in the int8 model (repeatable); ROLE:NAME for one model only (classifier:/_blocks.3).")
@setting("int8.keep_float_heads", "--float-heads/--int8-heads",
         help="Keep the output heads (last Conv / Gemm / MatMul to each output) in float.")
@setting("int8.float_search", "--float-search", type=click.IntRange(min=0),
         help="If int8 fails the accuracy gate, keep up to this many of its most sensitive modules "
              "(measured on calibration images) in float, one at a time, until it passes; 0: fail at once.")
@setting("int8.min_sqnr_db", "--min-sqnr", type=click.FloatRange(min=0),
         help="int8 is also searched (see --float-search) while its outputs' signal-to-noise ratio "
              "against fp32 on calibration images is below this many dB: the gate's metric can hold "
              "while single decisions flip. 0 turns it off.")
@setting("int8.min_label_agreement", "--min-label-agreement", type=click.FloatRange(0, 1),
         help="A classifier's int8 is also searched while its label sets match fp32's on fewer than "
              "this share of the held-out images; if the search ends below it, the classifier runs "
              "fp32 in the int8 pipeline (recorded in the manifest). 0 turns it off.")
@setting("data.agreement_dirs", "--agreement-images", multiple=True,
         type=click.Path(exists=True, file_okay=False, path_type=Path),
         help="Folder of real images (clean photographs, rated generated images; repeatable): int8 is also "
              "searched while a model's verdicts (and the classifier's label sets) match fp32's on fewer than "
              "--min-real-agreement of them; a model still below it runs fp32 in the int8 pipeline.")
@setting("int8.min_real_agreement", "--min-real-agreement", type=click.FloatRange(0, 1),
         help="The share of --agreement-images on which int8 must keep fp32's verdicts and labels.")
@setting("max_drop", "--max-drop",
         help="Points of IoU (segmenter) / macro-F1 (classifier) int8 or fp16 may lose against fp32.")
@setting("opset", "--opset", help="ONNX opset (>= 13).")
@setting("validate", "--validate/--no-validate",
         help="Check the fp32 ONNX against torch (skipping it is not recommended).")
@setting("data.eval_count", "--eval-synth", help="Number of synthetic held-out images for the accuracy gate.")
@setting("data.eval_seed", "--eval-seed", help="Seed of the held-out images; must differ from --seed.")
@setting("data.eval_dir", "--eval-data", type=click.Path(exists=True, file_okay=False, path_type=Path),
         help="Held-out dataset folder (synth, PAL or SynArtifact-1K layout) instead of synthetic images.")
@click.option("--sign", "sign_key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ed25519 private key (PEM): write manifest.json.sig, which Detector.load(trusted_keys=...) "
                   "and 'validate --key' check. Needs artifactsdk[sign].")
@setting("quiet", "--quiet", is_flag=True, default=False, show_default=False, help="No progress output.")
@source_options
def export(target, checkpoint, out, sign_key, sources, **settings):
    """Export TARGET (segmenter, classifier or all) to an ONNX bundle in --out."""
    try:
        if sign_key is not None:
            key = load_private_key(sign_key)  # a bad key fails now, not after the export
        checkpoints = checkpoint_dirs(target, checkpoint) if sources is None else {}
        manifest = export_bundle(checkpoints, out, build_settings(ExportSettings, settings), sources)
        if sign_key is not None:
            sign_bundle(out, key)
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc

    click.echo(summary_table(out, manifest))
