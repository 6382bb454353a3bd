"""`artifactsdk bench`: latency, throughput, memory and accuracy per backend and precision."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from artifactsdk.errors import ArtifactSDKError


def _csv(allowed: tuple[str, ...] | None = None):
    def parse(_ctx, param, value):
        if value is None:
            return None
        items = tuple(item.strip() for item in value.split(",") if item.strip())
        bad = [item for item in items if allowed is not None and item not in allowed]
        if bad or not items:
            raise click.BadParameter(f"expected a comma-separated list of {', '.join(allowed or ())}; "
                                     f"found {value!r}", param=param)
        return items
    return parse


def _int_csv(_ctx, param, value):
    try:
        items = tuple(int(item) for item in value.split(","))
    except ValueError:
        items = ()
    if not items or min(items) < 1:
        raise click.BadParameter(f"expected positive integers separated by commas, e.g. 1,4,8; found {value!r}",
                                 param=param)
    return items


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--bundle", default="default", show_default=True, help="Bundle directory, or 'default'.")
@click.option("--models", default="segmenter,classifier,detector", show_default=True,
              callback=_csv(("segmenter", "classifier", "detector")),
              help="Models to time; 'detector' is the end-to-end path from an encoded image file.")
@click.option("--backends", default="torch,ort", show_default=True, callback=_csv(),
              help="Backends: torch, ort (= ort-cpu), ort-cuda, ort-tensorrt, tensorrt.")
@click.option("--precision", "precisions", default="fp32,int8,fp16", show_default=True,
              callback=_csv(("fp32", "int8", "fp16")), help="Precisions to time.")
@click.option("--batch", "batches", default="1", show_default=True, callback=_int_csv,
              help="Batch sizes, e.g. 1,4,8 (accuracy is measured at the first).")
@click.option("--size", type=click.IntRange(min=32), default=None,
              help="Square input side for models that take any size (the segmenter); default: the bundle's.")
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True,
              help="ONNX Runtime intra-op threads and torch.set_num_threads, the same for both.")
@click.option("--runs", type=click.IntRange(min=1), default=None, help="Timed calls per configuration.")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds of timed calls per configuration (at least 5 calls) [default: 2].")
@click.option("--warmup", type=click.IntRange(min=0), default=3, show_default=True, help="Untimed calls first.")
@click.option("--accuracy/--no-accuracy", default=True, show_default=True,
              help="Score each configuration on a held-out synthetic set.")
@click.option("--accuracy-count", type=click.IntRange(min=2), default=32, show_default=True,
              help="Held-out images per configuration.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the JSON here.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the Markdown tables here.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the latency / accuracy plot here (.png or .svg; needs matplotlib).")
@click.option("--min-speedup", type=float, default=None,
              help="Exit 1 unless ORT int8 is this many times faster than torch fp32 (p50).")
@click.option("--max-drop", type=float, default=None,
              help="Exit 1 if int8 loses more than this many points of accuracy against fp32.")
@click.option("--onnx", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Time an arbitrary ONNX file instead of a bundle (needs --input-shape).")
@click.option("--torchscript", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Time a TorchScript file (torch.jit.load) instead of a bundle (needs --input-shape).")
@click.option("--input-shape", default=None, help="NxCxHxW for --onnx / --torchscript, e.g. 1x3x512x512.")
@click.option("--peak/--no-peak", default=True, show_default=True,
              help="Measure the machine's fp32 / int8 GEMM peak (for the fraction-of-peak column).")
@click.option("--peers/--no-peers", default=False, show_default=True,
              help="Also time PAL's UPerNet + Swin-L (and -B) and SegFormer MiT-B5 against our segmenter (a few minutes).")
@click.option("--peer-runs", type=click.IntRange(min=1), default=3, show_default=True,
              help="Timed calls per peer model (each takes seconds).")
@click.option("--quiet", is_flag=True, help="No progress and no table on the terminal.")
def bench(bundle, models, backends, precisions, batches, size, threads, runs, duration, warmup, accuracy,
          accuracy_count, json_path, markdown_path, plot_path, min_speedup, max_drop, onnx, torchscript,
          input_shape, peak, peers, peer_runs, quiet):
    """Measure latency, throughput, memory and accuracy per model, backend, precision and batch.

    Session creation and the first call are reported apart from the steady state;
    configurations that cannot run here are listed with the reason.
    """
    from artifactsdk.benchmarks.markdown import render, write_markdown
    from artifactsdk.benchmarks.plan import backend_name
    from artifactsdk.progress import Progress
    from artifactsdk.benchmarks.report import write_json
    from artifactsdk.benchmarks.run import BenchOptions, run_bench
    from artifactsdk.export.tensorrt_build import parse_shape  # the same NxCxHxW syntax as build-engine
    from artifactsdk.benchmarks.timing import RunPolicy

    if runs is not None and duration is not None:
        raise click.UsageError("give --runs N or --duration S, not both.")
    try:
        options = BenchOptions(
            bundle=bundle, models=models, backends=tuple(dict.fromkeys(backend_name(b) for b in backends)),
            precisions=precisions, batches=batches, size=size, threads=threads,
            policy=RunPolicy(warmup=warmup, runs=runs, duration_s=None if runs else (duration or 2.0)),
            accuracy=accuracy, accuracy_count=accuracy_count, onnx=onnx, torchscript=torchscript,
            input_shape=parse_shape(input_shape) if input_shape else None, peak=peak, peers=peers, peer_runs=peer_runs,
            min_speedup=min_speedup, max_drop=max_drop)
        command = shlex.join(["artifactsdk", *sys.argv[1:]])  # as typed (the settings hold the values)
        report = run_bench(options, command, Progress(quiet=quiet))
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
