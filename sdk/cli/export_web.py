"""`artifactsdk export-web BUNDLE --out DIR`: the detector as a static web folder."""

from __future__ import annotations

import json
from pathlib import Path

import click

from artifactsdk.cli.option_settings import trusted_keys_option
from artifactsdk.errors import ArtifactSDKError
from artifactsdk.web.export import export_web


@click.command("export-web")
@click.argument("bundle", default="default")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder to write (new, empty, or an earlier export-web folder).")
@click.option("--wasm-precision", type=click.Choice(["int8", "fp32"]), default="int8", show_default=True,
              help="The models WASM runs: int8 (2.4x smaller) or fp32 (the Python fp32 runtime's results exactly).")
@click.option("--webgpu/--no-webgpu", default=None,
              help="Also write fp16 models and the WebGPU build of ONNX Runtime Web. Default: when the bundle "
                   "has fp16 or fp32 models to make them from (the shipped bundle is int8 only).")
@click.option("--ort-from", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Take onnxruntime-web from this installed package (node_modules/onnxruntime-web) "
                   "instead of fetching it with npm.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@trusted_keys_option()
def export_web_command(bundle, out, wasm_precision, webgpu, ort_from, as_json, trusted_keys) -> None:
    """Write BUNDLE ('default' or a bundle folder) as a static site: int8 (or fp32) models, ONNX Runtime
    Web, the detector module, a demo page and serve.py (COOP / COEP for WASM threads)."""
    try:
        summary = export_web(bundle, out, wasm_precision=wasm_precision, webgpu=webgpu, ort_from=ort_from,
                             trusted_keys=trusted_keys)
    except ArtifactSDKError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    total = sum(summary["files"].values())
    click.echo(f"wrote {len(summary['files'])} files ({total / 1e6:.1f} MB) to {out} "
               f"with onnxruntime-web {summary['onnxruntime_web']}")
    if not summary["webgpu"]:
        click.echo("no WebGPU build: the bundle has no fp16 or fp32 models to make its fp16 ones from "
                   "(artifactsdk export all --precision fp32,int8 --out BUNDLE makes such a bundle)")
    click.echo(f"serve it: python {out / 'serve.py'} --port 8000, then open http://127.0.0.1:8000/")
