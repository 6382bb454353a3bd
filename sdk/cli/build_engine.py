"""`artifactsdk build-engine BUNDLE`: TensorRT engines for a bundle (needs an NVIDIA GPU)."""

from __future__ import annotations

import json
import sys

import click

from artifactsdk.calibration.sources import calibration_loader
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.cli.option_settings import Shape
from artifactsdk.progress import spinner


@click.command("build-engine")
@click.argument("bundle", type=click.Path(exists=True, file_okay=False))
@click.option("--precision", type=click.Choice(["fp16", "int8"]), default="fp16", show_default=True)
@click.option("--models", default="", help="Comma-separated models (classifier,segmenter); default: all.")
@click.option("--min-shape", type=Shape(), help="NxCxHxW, e.g. 1x3x512x512 (default: batch 1).")
@click.option("--opt-shape", type=Shape(), help="NxCxHxW the engine is tuned for (default: batch 1).")
@click.option("--max-shape", type=Shape(), help="NxCxHxW (default: batch 8).")
@click.option("--workspace", "workspace_gib", type=float, default=4.0, show_default=True,
              help="Builder workspace in GiB.")
@click.option("--timing-cache", type=click.Path(dir_okay=False),
              help="Read and update this timing cache file (faster rebuilds on the same GPU).")
@click.option("--version-compatible", is_flag=True, help="Engine runs on later TensorRT releases of this major version.")
@click.option("--hardware-compat", type=click.Choice(["none", "ampere_plus"]), default="none", show_default=True,
              help="ampere_plus: one engine for every GPU of compute capability >= 8.0.")
@click.option("--calib", "calib_dir", type=click.Path(exists=True, file_okay=False),
              help="int8 without a tensorrt-preset QDQ model (TensorRT <= 10 only): calibration image folder.")
@click.option("--calib-synth", type=int, default=0, help="... or this many synthetic calibration images.")
@click.option("--seed", default=0, show_default=True, help="Seed of the synthetic calibration images.")
@click.option("--json", "as_json", is_flag=True, help="Print the build records as JSON.")
@click.option("--quiet", is_flag=True, help="No spinner.")
def build_engine(bundle, precision, models, min_shape, opt_shape, max_shape, workspace_gib, timing_cache,
                 version_compatible, hardware_compat, calib_dir, calib_synth, seed, as_json, quiet):
    """Build TensorRT engines for BUNDLE and record them in its manifest."""
    # imports onnx: only when this runs
    from artifactsdk.export.tensorrt_build import EngineBuildOptions, build_bundle_engines

    show = not quiet and sys.stderr.isatty()
    try:
        options = EngineBuildOptions(
            precision=precision, models=tuple(m for m in models.split(",") if m), min_shape=min_shape,
            opt_shape=opt_shape, max_shape=max_shape, workspace_gib=workspace_gib, timing_cache=timing_cache,
            version_compatible=version_compatible, hardware_compat=hardware_compat)
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
