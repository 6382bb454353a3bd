"""Mixed precision by measurement: find the parts of a network that lose the most in
int8 and keep only those in float, one at a time, until the int8 model is acceptable
(the caller decides: the export's accuracy gate and output-SNR target).

Nodes are grouped by the module that made them: the first `depth` parts of their ONNX
name (``/encoder/_blocks.3/_project_conv/Conv`` belongs to ``/encoder/_blocks.3``). A
group's sensitivity is the SQNR of the model's output when only that group is int8,
measured on calibration images (never on the held-out set the gate scores).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from artifactsdk.export.quantize import HEAD_OPS, Quantizer
from artifactsdk.runtimes.onnxruntime_backend import onnx_file_backend

PROBE_IMAGES = 8
INDEXED = re.compile(r"\.\d+$")  # a module list's element: _blocks.3, laterals.0


@dataclass(frozen=True)
class FloatSearch:
    ranking: tuple[tuple[str, float], ...]  # (group, output SQNR in dB with only it int8), worst first
    kept_float: tuple[str, ...]  # the groups left in float, in the order they were added
    passed: bool

    def to_dict(self) -> dict:
        return {"float_search": {"kept_float_groups": list(self.kept_float), "passed": self.passed,
                                 "sensitivity_db": {name: round(db, 2) for name, db in self.ranking}}}


def module_key(node_name: str, depth: int = 2) -> str:
    """The module a node belongs to: the first `depth` parts of its name, ending early at an
    element of a module list (``/_blocks.3/_expand_conv/Conv`` -> ``/_blocks.3``), so a
    network without a wrapping ``/encoder`` still groups by block, not by layer."""
    parts = node_name.strip("/").split("/")
    if len(parts) == 1:
        return node_name
    kept = []
    for part in parts[:depth]:
        kept.append(part)
        if INDEXED.search(part):
            break
    return "/" + "/".join(kept)


def module_groups(model_path: str | Path, depth: int = 2) -> dict[str, tuple[str, ...]]:
    """Module -> its node names, for the modules with a weighted op (Conv, Gemm, ...)."""
    import onnx

    groups: dict[str, list] = {}
    weighted = set()
    for node in onnx.load(str(model_path), load_external_data=False).graph.node:
        key = module_key(node.name, depth)
        groups.setdefault(key, []).append(node.name)
        if node.op_type in HEAD_OPS:
            weighted.add(key)
    return {key: tuple(names) for key, names in groups.items() if key in weighted}


def output_sqnr(reference: Sequence[np.ndarray], candidate: Sequence[np.ndarray]) -> float:
    """Signal-to-quantization-noise ratio in dB of `candidate` against `reference`, over all
    their values: ONNX Runtime's qdq_loss_debug measure (identical outputs give a large
    finite value, its noise floor being float epsilon)."""
    from onnxruntime.quantization.qdq_loss_debug import compute_signal_to_quantization_noice_ratio

    return compute_signal_to_quantization_noice_ratio([np.ravel(r) for r in reference],
                                                      [np.ravel(c) for c in candidate])


def run_outputs(model_path: Path, feeds: Sequence[dict]) -> list[np.ndarray]:
    """Every output of the model for every feed, flattened into one list."""
    backend = onnx_file_backend(model_path)
    return [output for feed in feeds for output in backend.run(feed).values()]


def rank_groups(quantizer: Quantizer, groups: dict[str, tuple[str, ...]],
                feeds: Sequence[dict]) -> tuple[tuple[str, float], ...]:
    """(group, output SQNR in dB when only that group is int8), the most damaged first."""
    import onnx

    everything = {node.name for node in onnx.load(str(quantizer.prepared), load_external_data=False).graph.node}
    reference = run_outputs(quantizer.prepared, feeds)
    ranking = []
    with tempfile.TemporaryDirectory(prefix="artifactsdk-sensitivity-") as work:
        probe = Path(work) / "probe.onnx"
        for name, nodes in groups.items():
            quantizer.write(probe, extra_float_nodes=everything - set(nodes))
            ranking.append((name, output_sqnr(reference, run_outputs(probe, feeds))))
    return tuple(sorted(ranking, key=lambda item: item[1]))


def search_float_groups(quantizer: Quantizer, out_path: Path, feeds: Sequence[dict], passes: Callable[[Path], bool],
                        limit: int, depth: int = 2) -> FloatSearch:
    """Keep the most sensitive groups in float, one more at a time (at most `limit`), until
    `passes(out_path)` holds; `out_path` is left holding the last model tried."""
    groups = module_groups(quantizer.prepared, depth)
    ranking = rank_groups(quantizer, groups, feeds)
    kept: list[str] = []
    for name, _ in ranking[:limit]:
        kept.append(name)
        quantizer.write(out_path, extra_float_nodes=[node for group in kept for node in groups[group]])
        if passes(out_path):
            return FloatSearch(ranking, tuple(kept), True)
    return FloatSearch(ranking, tuple(kept), False)
