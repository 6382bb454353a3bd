"""`artifactsdk bench`: latency, throughput, memory and accuracy per backend and precision."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from artifactsdk.benchmarks.run import DETECTOR, BenchSettings
from artifactsdk.benchmarks.timing import DEFAULT_DURATION_S
from artifactsdk.bundle import ROLES
from artifactsdk.cli.detector_options import detector_options
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.cli.option_settings import CommaList, Shape, build_settings, settings_option


def setting(path: str, *param_decls: str, **attrs):
    return settings_option(BenchSettings, path, *param_decls, **attrs)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@setting("models", "--models", type=CommaList(choices=(*ROLES, DETECTOR)),
         help="Models to time; 'detector' is the end-to-end path from an encoded image file.")
@setting("backends", "--backends", type=CommaList(),
         help="Backends: torch, ort (= ort-cpu), ort-cuda, ort-tensorrt, tensorrt.")
@setting("precisions", "--precision", type=CommaList(choices=("fp32", "int8", "fp16")), help="Precisions to time.")
@setting("batches", "--batch", type=CommaList(int), help="Batch sizes, e.g. 1,4,8 (accuracy is measured at the first).")
@setting("size", "--size", type=click.IntRange(min=32),
         help="Square input side for models that take any size (the segmenter); default: the bundle's.")
@detector_options(BenchSettings, skip=("backend", "precision"), bundle={"help": "Bundle directory, or 'default'."},
                  threads={"help": "ONNX Runtime intra-op threads and torch.set_num_threads, the same for both."})
@setting("policy.runs", "--runs", type=click.IntRange(min=1), help="Timed calls per configuration.")
@setting("policy.duration_s", "--duration", type=click.FloatRange(min=0, min_open=True),
         show_default=f"{DEFAULT_DURATION_S:g} unless --runs",
         help="Seconds of timed calls per configuration (at least 5 calls).")
@setting("policy.warmup", "--warmup", type=click.IntRange(min=0), help="Untimed calls first.")
@setting("accuracy", "--accuracy/--no-accuracy", help="Score each configuration on a held-out synthetic set.")
@setting("accuracy_count", "--accuracy-count", type=click.IntRange(min=2), help="Held-out images per configuration.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the JSON here.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the Markdown tables here.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the latency / accuracy plot here (.png or .svg; needs matplotlib).")
@setting("min_speedup", "--min-speedup", type=float,
         help="Exit 1 unless ORT int8 is this many times faster than torch fp32 (p50).")
@setting("max_drop", "--max-drop", type=float,
         help="Exit 1 if int8 loses more than this many points of accuracy against fp32.")
@setting("onnx", "--onnx", type=click.Path(dir_okay=False, exists=True, path_type=Path),
         help="Time an arbitrary ONNX file instead of a bundle (needs --input-shape).")
@setting("torchscript", "--torchscript", type=click.Path(dir_okay=False, exists=True, path_type=Path),
         help="Time a TorchScript file (torch.jit.load) instead of a bundle (needs --input-shape).")
@setting("input_shape", "--input-shape", type=Shape(),
         help="NxCxHxW for --onnx / --torchscript, e.g. 1x3x512x512.")
@setting("peak", "--peak/--no-peak", help="Measure the machine's fp32 / int8 GEMM peak (for the fraction-of-peak column).")
@setting("peers", "--peers/--no-peers",
         help="Also time PAL's UPerNet + Swin-L (and -B) and SegFormer MiT-B5 against our segmenter (a few minutes).")
@setting("peer_runs", "--peer-runs", type=click.IntRange(min=1), help="Timed calls per peer model (each takes seconds).")
@click.option("--quiet", is_flag=True, help="No progress and no table on the terminal.")
def bench(json_path, markdown_path, plot_path, quiet, **settings):
    """Measure latency, throughput, memory and accuracy per model, backend, precision and batch.

    Session creation and the first call are reported apart from the steady state;
    configurations that cannot run here are listed with the reason.
    """
    from artifactsdk.benchmarks.markdown import render, write_markdown
    from artifactsdk.benchmarks.report import write_json
    from artifactsdk.benchmarks.run import run_bench
    from artifactsdk.progress import Progress

    try:
        command = shlex.join(["artifactsdk", *sys.argv[1:]])  # as typed (the settings hold the values)
        report = run_bench(build_settings(BenchSettings, settings), command, Progress(quiet=quiet))
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    doc = report.to_dict()
    if json_path:
        write_json(report, json_path)
    text = write_markdown(doc, markdown_path) if markdown_path else render(doc)
    if plot_path:
        from artifactsdk.benchmarks.plot import write_plot

        try:
            write_plot(doc, plot_path)
        except ArtifactSDKError as exc:
            raise click.ClickException(str(exc)) from exc
    if not quiet:
        click.echo(text)
    failed = [gate for gate in report.gates if not gate.passed]
    for gate in failed:
        click.echo(f"bench gate {gate.name} failed: {gate.message}", err=True)
    if failed:
        sys.exit(1)
