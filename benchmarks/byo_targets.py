"""Bring-your-own targets: PAL's architecture (UPerNet + Swin-L) and SegFormer MiT-B5 at
512x512, random weights, compiled by the SDK's own export pipeline to ONNX int8, timed
against the same model in torch fp32 in one run.

The models come from benchmarks/peers.py's builders. Each goes in the way a user would
bring it: PAL as a TorchScript file (traced, as PAL ships it) through the TorchScript
source; SegFormer as a Hugging Face directory through the optimum source. Then the
exporter validates fp32 ONNX against torch, calibrates int8 and scores both precisions.

int8 scheme: static QDQ on MatMul, Conv and Gemm only (uint8 activations, int8
per-channel weights, the `cpu` preset), everything else left in float. On this
AVX512-VNNI CPU those three ops carry nearly all multiply-accumulates and run as
integer kernels; quantizing LayerNorm, Softmax, GELU and the residual Adds of a
transformer adds quantize/dequantize passes around cheap ops and costs accuracy.
(`--ops all` quantizes every op ONNX Runtime can, for comparison.)

    python -m artifactsdk.benchmarks.byo_targets --json out/byo_targets.json

UPerNet's pyramid pooling pools a 16x16 map to 3x3 and 6x6, which torch cannot export to
ONNX; before tracing it is replaced by its exact matrix form
(export/sources/adaptive_pooling.py), the difference is printed.
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import click

from artifactsdk.benchmarks.environment import bench_environment, load_average
from artifactsdk.benchmarks.output import save_json
from artifactsdk.benchmarks.peers import (MIT_B5, PAL_HEAD, PAL_SWIN_L, TINY_HEAD, TINY_MIT, TINY_SWIN,
                                          pal_upernet_swin, segformer_mit_b5, trace_torchscript)
from artifactsdk.benchmarks.subjects import onnx_file_subject, torch_subject, torchscript_subject
from artifactsdk.benchmarks.sweep import time_subjects
from artifactsdk.benchmarks.timing import RunPolicy
from artifactsdk.calibration.sources import SynthImages, load_images
from artifactsdk.export.heldout import synthetic_heldout
from artifactsdk.export.sources.hf_segmentation import load_hf_segmenter
from artifactsdk.export.sources.pipeline import export_sources
from artifactsdk.export.sources.torchscript_segmenter import TorchScriptSpec, load_torchscript_segmenter
from artifactsdk.progress import Progress
from artifactsdk.export.sources import TRANSFORMER_FLOAT_OUTPUTS, TRANSFORMER_INT8_OPS

EVAL_SEED = 104729


@dataclass(frozen=True)
class TargetResult:
    model: str
    export_s: float
    p50_ms: dict  # "torch fp32" / "torchscript fp32" / "ort fp32" / "ort int8" -> p50 latency
    speedup_vs_torch: float
    validation_max_abs: float | None
    int8_drop_points: float | None
    int8_file_mb: float
    note: str

    def to_dict(self) -> dict:
        return {"model": self.model, "export_s": round(self.export_s, 1),
                "p50_ms": {k: round(v, 1) for k, v in self.p50_ms.items()},
                "speedup_int8_vs_torch_fp32": round(self.speedup_vs_torch, 2),
                "validation_max_abs": self.validation_max_abs, "int8_drop_points": self.int8_drop_points,
                "int8_file_mb": round(self.int8_file_mb, 1), "note": self.note}


def _pal_source(workdir: Path, size: int, tiny: bool):
    """UPerNet + Swin-L traced to TorchScript (PAL's format), read by the TorchScript source."""
    import torch

    # imports torch: only when this runs
    from artifactsdk.export.sources.adaptive_pooling import make_adaptive_pooling_exportable

    swin, head = (TINY_SWIN, TINY_HEAD) if tiny else (PAL_SWIN_L, PAL_HEAD)
    torch.manual_seed(0)
    module = pal_upernet_swin(size, swin, head, output="logit")
    probe = torch.randn(1, 3, size, size)
    with torch.no_grad():
        before = module(probe)
        replaced = make_adaptive_pooling_exportable(module)
        difference = float((module(probe) - before).abs().max())
    path = trace_torchscript(module, size, workdir / "pal_upernet_swin_l.logit.pt")
    source = load_torchscript_segmenter(path, TorchScriptSpec(height=size, width=size, output="logits"))
    note = (f"{replaced} adaptive pools in matrix form (max abs diff {difference:.1e}); "
            "TorchScript source, output logits (artifact-class difference)")
    return source, module, path, note


def _segformer_source(workdir: Path, size: int, tiny: bool):
    """SegFormer MiT-B5 saved as a Hugging Face directory, read by the optimum source."""
    import torch
    from transformers import SegformerImageProcessor

    torch.manual_seed(0)
    directory = workdir / "segformer_mit_b5"
    segformer_mit_b5(TINY_MIT if tiny else MIT_B5).model.save_pretrained(directory)
    SegformerImageProcessor(size={"height": size, "width": size}).save_pretrained(directory)
    source = load_hf_segmenter(directory, output="softmax")
    return source, source.module, None, "Hugging Face directory through optimum, two classes (softmax)"


TARGETS = {"pal": ("pal-upernet-swin-l", _pal_source), "segformer": ("segformer-mit-b5", _segformer_source)}


def run_target(key: str, workdir: Path, size: int, threads: int, runs: int, warmup: int, calib: int,
               evals: int, ops: str, max_drop: float, atol: float, tiny: bool, progress: Progress) -> TargetResult:
    import torch

    from artifactsdk.export.quantize import Int8Settings
    from artifactsdk.export.settings import ExportSettings

    torch.set_num_threads(threads)
    name, build = TARGETS[key]
    target_dir = workdir / key
    target_dir.mkdir(parents=True, exist_ok=True)
    progress.note(f"{name}: building and saving as a user would bring it")
    source, module, torchscript, note = build(target_dir, size, tiny)
    scheme = (None, ()) if ops == "all" else (TRANSFORMER_INT8_OPS, TRANSFORMER_FLOAT_OUTPUTS)
    source = replace(source, int8_op_types=scheme[0], int8_float_outputs=scheme[1])
    # One calibration image per pass: the calibrator keeps every intermediate tensor of a pass,
    # and for Swin-B at 512 a pass of 4 images outgrew this machine's 24 GB (Swin-L is larger).
    # The gate alone judges a peer's int8 here: no float search, no SQNR or label criterion.
    settings = ExportSettings(precisions=("fp32", "int8"), validation_images=2, atol=atol, max_drop=max_drop,
                              int8=Int8Settings(batch_size=1, float_search=0, min_sqnr_db=0, min_label_agreement=0),
                              quiet=not progress.enabled)
    progress.note(f"{name}: exporting through the SDK (validate, calibrate on {calib}, score on {evals})")
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        manifest = export_sources({"segmenter": source}, target_dir / "bundle", settings,
                                  synthetic_heldout(evals, EVAL_SEED, size),
                                  load_images(SynthImages(calib, 0, size)))
    export_s = time.perf_counter() - started
    model = manifest["models"]["segmenter"]
    bundle = target_dir / "bundle"
    shape = (1, 3, size, size)
    subjects = [
        torch_subject(name, "torch", None, "pixels", shape, threads, module.eval),
        onnx_file_subject(bundle / model["files"]["fp32"]["path"], shape, threads, name=name),
        onnx_file_subject(bundle / model["files"]["int8"]["path"], shape, threads, name=name),
    ]
    if torchscript is not None:
        subjects.insert(1, torchscript_subject(torchscript, shape, threads, name=name))
    results, skipped = time_subjects(subjects, (1,), RunPolicy(warmup=warmup, runs=runs, duration_s=None), {},
                                     progress)
    if skipped:
        raise click.ClickException(f"{name}: {[s.to_dict() for s in skipped]}")
    p50 = {f"{'ort' if r.backend.startswith('ort') else r.backend} {r.precision}": r.latency.p50_ms for r in results}
    torch_fp32 = min(v for k, v in p50.items() if k.startswith("torch"))
    validation = model.get("validation")
    return TargetResult(
        model=name, export_s=export_s, p50_ms=p50, speedup_vs_torch=torch_fp32 / p50["ort int8"],
        validation_max_abs=max(o["max_abs"] for o in validation["outputs"]) if validation else None,
        int8_drop_points=model["accuracy_gate"]["drop_points"].get("int8"),
        int8_file_mb=model["files"]["int8"]["bytes"] / 1e6, note=note)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--models", default="pal,segformer", show_default=True)
@click.option("--size", type=click.IntRange(min=32), default=512, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--runs", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--warmup", type=click.IntRange(min=0), default=1, show_default=True)
@click.option("--calib", type=click.IntRange(min=1), default=8, show_default=True, help="Calibration images.")
@click.option("--eval", "evals", type=click.IntRange(min=1), default=4, show_default=True, help="Held-out images.")
@click.option("--ops", type=click.Choice(["matmul-conv", "all"]), default="matmul-conv", show_default=True)
@click.option("--max-drop", default=100.0, show_default=True,
              help="Accuracy gate; random weights make the metric meaningless, so it reports rather than blocks.")
@click.option("--atol", default=1e-3, show_default=True, help="fp32 ONNX vs torch tolerance.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/byo_targets"),
              show_default=True)
@click.option("--tiny", is_flag=True, help="Tiny versions of both architectures (to check the script).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Written after each model, so a partial run keeps what it measured.")
@click.option("--progress/--no-progress", default=None, help="Stage lines on stderr (default: on a terminal).")
def main(models, size, threads, runs, warmup, calib, evals, ops, max_drop, atol, workdir, tiny, json_path, progress):
    """Compile PAL's architecture and SegFormer MiT-B5 with the SDK to ONNX int8; time against torch fp32."""
    progress = Progress(enabled=progress)
    load_at_start = load_average()
    document = {"command": " ".join(["python -m artifactsdk.benchmarks.byo_targets", *sys.argv[1:]]),
                "settings": {"size": size, "threads": threads, "runs": runs, "warmup": warmup, "ops": ops,
                             "calib": calib, "eval": evals, "tiny": tiny}, "results": []}
    results = []
    for key in models.split(","):
        results.append(run_target(key.strip(), workdir, size, threads, runs, warmup, calib, evals, ops, max_drop,
                                  atol, tiny, progress))
        document["results"].append(results[-1].to_dict())
        document["environment"] = bench_environment(threads, ["CPUExecutionProvider"], load_at_start)
        if json_path:
            save_json(document, json_path)
    click.echo(f"load average at start {load_at_start}, at end {load_average()} (other processes slow torch "
               "most: its threads spin-wait)")
    for r in results:
        times = ", ".join(f"{k} {v:.0f} ms" for k, v in r.p50_ms.items())
        click.echo(f"{r.model}: p50 {times}; int8 {r.speedup_vs_torch:.2f}x faster than torch fp32; "
                   f"export {r.export_s:.0f}s, validation max abs {r.validation_max_abs}, "
                   f"int8 gate drop {r.int8_drop_points} pt ({r.note})")


if __name__ == "__main__":
    main()
