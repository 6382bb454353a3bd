"""`python -m artifactsdk.benchmarks.peers_cli`: the peers (PAL's UPerNet + Swin, SegFormer
MiT-B5) timed against our segmenter on their own, with the bench report's JSON and Markdown."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import click

from artifactsdk.benchmarks.environment import bench_environment, load_average
from artifactsdk.benchmarks.markdown import render, write_markdown
from artifactsdk.benchmarks.peak import machine_peak
from artifactsdk.benchmarks.peers import PEER_WARMUP, peers_in_tempdir
from artifactsdk.benchmarks.report import BenchReport, write_json
from artifactsdk.benchmarks.sweep import providers_used
from artifactsdk.benchmarks.timing import RunPolicy
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.progress import Progress


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--bundle", default="default", show_default=True, help="Bundle whose segmenter is 'ours'.")
@click.option("--size", type=click.IntRange(min=32), default=512, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--runs", type=click.IntRange(min=1), default=3, show_default=True, help="Timed calls per model.")
@click.option("--warmup", type=click.IntRange(min=0), default=PEER_WARMUP, show_default=True)
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the peers' TorchScript / ONNX files here (default: a temporary directory).")
@click.option("--tiny", is_flag=True, help="Tiny versions of both architectures (for tests).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True)
def main(bundle, size, threads, runs, warmup, workdir, tiny, json_path, markdown_path, quiet):
    """Time PAL's UPerNet + Swin-L / -B (TorchScript) and SegFormer MiT-B5 (torch, ORT) against our segmenter."""
    progress = Progress(quiet=quiet)
    started, load_at_start = time.perf_counter(), load_average()
    try:
        peaks = machine_peak(threads)
        peers = peers_in_tempdir(bundle, size, threads, RunPolicy(warmup=warmup, runs=runs, duration_s=None),
                                 peaks, progress, workdir, tiny)
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    report = BenchReport(
        command=shlex.join(["python", "-m", "artifactsdk.benchmarks.peers_cli", *sys.argv[1:]]),
        settings={"bundle": bundle, "size": size, "threads": threads, "runs": runs, "warmup": warmup, "tiny": tiny},
        environment=bench_environment(threads, providers_used([*peers.ours_results, *peers.results]),
                                      load_at_start),
        machine_peak={p: v.to_dict() for p, v in peaks.items()}, backends={}, results=[], skipped=[],
        peers=peers.to_dict(), wall_s=time.perf_counter() - started)
    doc = report.to_dict()
    if json_path:
        write_json(report, json_path)
    text = write_markdown(doc, markdown_path) if markdown_path else render(doc)
    if not quiet:
        click.echo(text)


if __name__ == "__main__":
    main()
