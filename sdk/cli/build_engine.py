"""`artifactsdk build-engine BUNDLE`: TensorRT engines for a bundle (needs an NVIDIA GPU)."""

from __future__ import annotations

import json
import sys

import click

from artifactsdk.calibration.sources import calibration_loader
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.cli.option_settings import Shape, build_settings, settings_option
from artifactsdk.export.engine_options import PRECISIONS, EngineBuildOptions
from artifactsdk.progress import spinner


def setting(path: str, *param_decls: str, **attrs):
    return settings_option(EngineBuildOptions, path, *param_decls, **attrs)


def comma_separated(ctx, param, text: str) -> tuple[str, ...]:
    return tuple(item for item in text.split(",") if item)


@click.command("build-engine")
@click.argument("bundle", type=click.Path(exists=True, file_okay=False))
@setting("precision", "--precision", type=click.Choice(PRECISIONS))
@setting("models", "--models", default="", show_default=False, callback=comma_separated,
         help="Comma-separated models (classifier,segmenter); default: all.")
@setting("min_shape", "--min-shape", type=Shape(), help="NxCxHxW, e.g. 1x3x512x512 (default: batch 1).")
@setting("opt_shape", "--opt-shape", type=Shape(), help="NxCxHxW the engine is tuned for (default: batch 1).")
@setting("max_shape", "--max-shape", type=Shape(), help="NxCxHxW (default: batch 8).")
@setting("workspace_gib", "--workspace", type=float, help="Builder workspace in GiB.")
@setting("timing_cache", "--timing-cache", type=click.Path(dir_okay=False),
         help="Read and update this timing cache file (faster rebuilds on the same GPU).")
@setting("version_compatible", "--version-compatible", is_flag=True,
         help="Engine runs on later TensorRT releases of this major version.")
@setting("hardware_compat", "--hardware-compat", type=click.Choice(["none", "ampere_plus"]),
         help="ampere_plus: one engine for every GPU of compute capability >= 8.0.")
@click.option("--calib", "calib_dir", type=click.Path(exists=True, file_okay=False),
              help="int8 without a tensorrt-preset QDQ model (TensorRT <= 10 only): calibration image folder.")
@click.option("--calib-synth", type=int, default=0, help="... or this many synthetic calibration images.")
@click.option("--seed", default=0, show_default=True, help="Seed of the synthetic calibration images.")
@click.option("--json", "as_json", is_flag=True, help="Print the build records as JSON.")
@click.option("--quiet", is_flag=True, help="No spinner.")
def build_engine(bundle, calib_dir, calib_synth, seed, as_json, quiet, **settings):
    """Build TensorRT engines for BUNDLE and record them in its manifest."""
    # imports onnx: only when this runs
    from artifactsdk.export.tensorrt_build import build_bundle_engines

    show = not quiet and sys.stderr.isatty()
    try:
        options = build_settings(EngineBuildOptions, settings)
        results = build_bundle_engines(bundle, options, status=lambda label: spinner(label, show),
                                       calibration_images=calibration_loader(calib_dir, calib_synth, seed, quiet))
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in results], indent=2))
        return
    for r in results:
        click.echo(f"{r.model}: {r.path} ({r.precision}, {r.mode}, TensorRT {r.tensorrt_version}, "
                   f"{r.gpu.name} sm {r.gpu.compute_capability}, {r.bytes / 1e6:.1f} MB, {r.seconds:.0f}s)")
