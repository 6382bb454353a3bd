"""What a user would otherwise deploy, timed on this machine in the same run as our
default segmenter:

- PAL4VST's released checkpoint, `swin-large_upernet_unified_512x512` (UPerNet + Swin-L,
  window 12, about 234 M parameters, exported to TorchScript with mmdeploy), as TorchScript
  fp32 made with `torch.jit.trace` (argmax mask out). The repository's config file of
  that name sets Swin-B widths (embed 128, heads 4-32, a Swin-B ImageNet-22k start), while
  the checkpoint's name and its deploy script say Swin-L, and the weights are not
  inspectable offline: both are timed, Swin-L as the PAL peer, Swin-B beside it;
- SegFormer MiT-B5 at 512x512 (DiffDoctor's detector architecture), in torch eager and
  in ONNX Runtime fp32.

Both are built offline from transformers configs with random weights (latency does
not depend on the weights). MACs are counted on a fixed-shape ONNX export of each.

    python -m artifactsdk.benchmarks.peers_cli --json out/peers.json --markdown out/peers.md
"""

from __future__ import annotations

import tempfile
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

from artifactsdk.benchmarks.harness import ConfigResult, Skipped
from artifactsdk.benchmarks.plan import plan_bundle
from artifactsdk.benchmarks.subjects import Subject, module_subject, onnx_file_subject, torchscript_subject
from artifactsdk.benchmarks.sweep import time_subjects
from artifactsdk.benchmarks.timing import RunPolicy
from artifactsdk.bundle import Bundle
from artifactsdk.progress import Progress

# Swin-L as mmseg builds it for 512x512 UPerNet (window 12), Swin-B as the repository's config
# file of the checkpoint's name sets it, and mmseg's UPerNet head for PAL's 2 classes.
PAL_SWIN_L = {"embed_dim": 192, "depths": [2, 2, 18, 2], "num_heads": [6, 12, 24, 48], "window_size": 12}
PAL_SWIN_B = {"embed_dim": 128, "depths": [2, 2, 18, 2], "num_heads": [4, 8, 16, 32], "window_size": 12}
PAL_VARIANTS = {"pal-upernet-swin-l": PAL_SWIN_L, "pal-upernet-swin-b": PAL_SWIN_B}
PAL_HEAD = {"hidden_size": 512}
# MiT-B5 as in nvidia/mit-b5 with SegFormer's all-MLP decoder of width 768.
MIT_B5 = {"depths": [3, 6, 40, 3], "hidden_sizes": [64, 128, 320, 512], "num_attention_heads": [1, 2, 5, 8],
          "sr_ratios": [8, 4, 2, 1], "decoder_hidden_size": 768}
# Tiny versions of the same architectures, for tests.
TINY_SWIN = {"embed_dim": 16, "depths": [1, 1, 1, 1], "num_heads": [1, 1, 1, 1], "window_size": 4}
TINY_HEAD = {"hidden_size": 16}
TINY_MIT = {"depths": [1, 1, 1, 1], "hidden_sizes": [8, 16, 24, 32], "num_attention_heads": [1, 1, 1, 1],
            "sr_ratios": [8, 4, 2, 1], "decoder_hidden_size": 32}
OURS = ("segmenter", "ort-cpu", "int8")  # what the peers' latency ratios divide by
# TorchScript's profiling executor specialises the graph over the first two calls.
PEER_WARMUP = 2


def _torch():
    import torch

    return torch


def full_resolution(model, output: str):
    """Wrap a transformers segmentation model so it maps pixels [N,3,H,W] to the input's
    resolution: the argmax mask (`output="argmax"`, PAL's TorchScript) or the artifact
    logit [N,1,H,W] (`output="logit"`, as our segmenter returns)."""
    torch = _torch()
    import torch.nn.functional as F

    class FullResolution(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, pixels):
            logits = F.interpolate(self.model(pixel_values=pixels).logits, size=pixels.shape[-2:],
                                   mode="bilinear", align_corners=False)
            if output == "argmax":
                return logits.argmax(dim=1)
            return logits[:, 1:2] - logits[:, 0:1]

    return FullResolution().eval()


def pal_upernet_swin(size: int, swin: dict = PAL_SWIN_L, head: dict = PAL_HEAD, output: str = "argmax"):
    """UPerNet + Swin with random weights (no auxiliary head: it is not run at inference)."""
    from transformers import SwinConfig, UperNetConfig, UperNetForSemanticSegmentation

    backbone = SwinConfig(image_size=size, drop_path_rate=0.0,
                          out_features=["stage1", "stage2", "stage3", "stage4"], **swin)
    config = UperNetConfig(backbone_config=backbone, num_labels=2, use_auxiliary_head=False, **head)
    return full_resolution(UperNetForSemanticSegmentation(config), output)


def segformer_mit_b5(mit: dict = MIT_B5, output: str = "logit"):
    from transformers import SegformerConfig, SegformerForSemanticSegmentation

    return full_resolution(SegformerForSemanticSegmentation(SegformerConfig(num_labels=2, **mit)), output)


def parameters_m(module) -> float:
    return sum(p.numel() for p in module.parameters()) / 1e6


def torch_macs(module, size: int) -> int:
    """MACs of one 1x3xSxS forward, from torch's FLOP counter (convolutions and matrix
    products, FLOPs / 2). Used for UPerNet, whose pyramid pooling (adaptive pooling to
    3x3 and 6x6 of a 16x16 map) has no ONNX export; on SegFormer and on our segmenter
    it gives exactly the ONNX graph count (tests/benchmarks/test_peers.py)."""
    torch = _torch()
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(torch.zeros(1, 3, size, size))
    return counter.get_total_flops() // 2


def export_fixed_onnx(module, size: int, path: Path) -> Path:
    """A fixed-shape (1x3xSxS) ONNX export (the peers ship at one size)."""
    torch = _torch()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(1, 3, size, size),), str(path), input_names=["pixels"],
                          output_names=["output"], opset_version=17, do_constant_folding=True, dynamo=False)
    return path


def trace_torchscript(module, size: int, path: Path) -> Path:
    torch = _torch()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(module, torch.zeros(1, 3, size, size)), str(path))
    return path


@dataclass(frozen=True)
class PeerSet:
    """The peers prepared in `workdir`: subjects to time and their parameter counts."""

    subjects: list[Subject]
    params_m: dict[str, float] = field(default_factory=dict)


def prepare_peers(workdir: Path, size: int, threads: int, tiny: bool = False,
                  progress: Progress | None = None) -> PeerSet:
    """Build the peers, write their TorchScript / ONNX / weight files, return subjects."""
    torch = _torch()
    progress = progress or Progress(enabled=False)
    workdir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    head, mit = (TINY_HEAD, TINY_MIT) if tiny else (PAL_HEAD, MIT_B5)
    shape = (1, 3, size, size)
    subjects, params = [], {}
    for name, swin in PAL_VARIANTS.items():
        progress.note(f"building {name} (PAL), tracing TorchScript, counting its MACs")
        pal = pal_upernet_swin(size, TINY_SWIN if tiny else swin, head, output="argmax")
        pal_ts = trace_torchscript(pal, size, workdir / f"{name}.torchscript.pt")
        subjects.append(replace(torchscript_subject(pal_ts, shape, threads, name=name),
                                macs_per_image=torch_macs(pal, size)))
        params[name] = parameters_m(pal)
        del pal

    progress.note("building SegFormer MiT-B5, exporting ONNX")
    segformer = segformer_mit_b5(mit)
    params["segformer-mit-b5"] = parameters_m(segformer)
    weights = workdir / "segformer_mit_b5.pt"
    torch.save(segformer.state_dict(), str(weights))
    seg_onnx = export_fixed_onnx(segformer, size, workdir / "segformer_mit_b5.onnx")
    del segformer

    subjects += [
        module_subject("segformer-mit-b5", lambda: segformer_mit_b5(mit), weights, shape, threads, seg_onnx),
        onnx_file_subject(seg_onnx, shape, threads, name="segformer-mit-b5"),
    ]
    return PeerSet(subjects, params)


@dataclass(frozen=True)
class PeersReport:
    ours_results: list[ConfigResult]
    results: list[ConfigResult]
    params_m: dict[str, float]
    skipped: list[Skipped]
    wall_s: float  # building, tracing and exporting the peers included

    def ratio(self, result: ConfigResult) -> float | None:
        """How many times slower (p50) `result` is than our reference configuration."""
        ours = next((r for r in self.ours_results if (r.model, r.backend, r.precision) == OURS), None)
        return result.latency.p50_ms / ours.latency.p50_ms if ours is not None else None

    def to_dict(self) -> dict:
        def with_extras(result: ConfigResult) -> dict:
            return {**result.to_dict(), "params_m": self.params_m.get(result.model),
                    "ratio_vs_ours": self.ratio(result)}
        return {"ours": " ".join(OURS), "ours_results": [r.to_dict() for r in self.ours_results],
                "results": [with_extras(r) for r in self.results],
                "skipped": [s.to_dict() for s in self.skipped], "wall_s": self.wall_s}


def run_peers(bundle: str, workdir: Path, size: int, threads: int, policy: RunPolicy, peaks: dict,
              progress: Progress | None = None, tiny: bool = False) -> PeersReport:
    """Our segmenter (torch fp32, ORT fp32, ORT int8) and the peers, timed one after another."""
    progress = progress or Progress(enabled=False)
    started = time.perf_counter()
    ours_plan = plan_bundle(Bundle.open(bundle), ["segmenter"], ["torch", "ort-cpu"], ["fp32", "int8"], size, threads)
    # ours first: building the peers leaves hundreds of MB resident that would count in our peak RSS
    ours, ours_failed = time_subjects(ours_plan.subjects, (1,), policy, peaks, progress)
    peers = prepare_peers(workdir, size, threads, tiny=tiny, progress=progress)
    results, failed = time_subjects(peers.subjects, (1,), policy, peaks, progress)
    return PeersReport(ours_results=ours, results=results, params_m=peers.params_m,
                       skipped=[*ours_plan.skipped, *ours_failed, *failed], wall_s=time.perf_counter() - started)


def peers_in_tempdir(bundle: str, size: int, threads: int, policy: RunPolicy, peaks: dict,
                     progress: Progress, workdir: Path | None = None, tiny: bool = False) -> PeersReport:
    """`run_peers` with its model files (about 1 GB at full size) in `workdir` or a
    temporary directory that is removed afterwards."""
    if workdir is not None:
        return run_peers(bundle, workdir, size, threads, policy, peaks, progress, tiny)
    with tempfile.TemporaryDirectory(prefix="artifactsdk-peers-") as tmp:
        return run_peers(bundle, Path(tmp), size, threads, policy, peaks, progress, tiny)
