"""What the benchmark times: a model file on a backend at a precision.

A `Subject` names the configuration and knows how to open it: an active
`artifactsdk.runtimes` backend (`run(feed) -> outputs`, `close()`). Bundle models,
arbitrary ONNX files, TorchScript files and torch modules (the peers) all run on the
runtime's own backend classes, so the numbers are what users get.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from artifactsdk.errors import InvalidInputError, MissingDependencyError
from artifactsdk.runtimes.base import Backend, ModelFile
from artifactsdk.runtimes.torch_backend import module_backend


@dataclass(frozen=True)
class Subject:
    """One model file on one backend at one precision; `open` loads it (timed as creation)."""

    model: str  # "segmenter", "classifier", or a file / peer name
    backend: str  # "ort-cpu", "torch", "torchscript", ...
    precision: str
    file: Path | None
    input_name: str
    image_shape: tuple[int, int, int]  # C, H, W of one image
    open: Callable[[], Backend] = field(repr=False, compare=False)
    onnx_file: Path | None = None  # the graph MACs are counted on
    macs_per_image: int | None = None  # counted another way when there is no ONNX graph
    fixed_batch: int | None = None  # set when the model only accepts this batch size

    def feed(self, batch: int, seed: int = 0) -> dict[str, np.ndarray]:
        """A fixed random input batch (latency does not depend on pixel values here)."""
        rng = np.random.default_rng(seed)
        return {self.input_name: rng.standard_normal((batch, *self.image_shape), dtype=np.float32)}

    @property
    def file_bytes(self) -> int | None:
        return self.file.stat().st_size if self.file is not None and self.file.is_file() else None


def _sha256(path: Path) -> str:
    from artifactsdk.manifest import sha256_file

    return sha256_file(path)


def _import_onnx():
    try:
        import onnx
    except ModuleNotFoundError as exc:
        raise MissingDependencyError("onnx", "bench", "Benchmarking an arbitrary ONNX file") from exc
    return onnx


def graph_precision(graph) -> str:
    """int8 when the graph quantizes, fp16 when its weights are half, else fp32."""
    ops = {node.op_type for node in graph.node}
    if ops & {"QuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger"}:
        return "int8"
    half = 10  # onnx.TensorProto.FLOAT16
    if any(init.data_type == half for init in graph.initializer):
        return "fp16"
    return "fp32"


def onnx_file_subject(path: str | Path, shape: tuple[int, ...], threads: int, name: str | None = None,
                      backend: str = "ort-cpu") -> Subject:
    """An arbitrary ONNX file run by the runtime's ONNX Runtime backend class."""
    from artifactsdk.runtimes.registry import BY_NAME

    onnx = _import_onnx()
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"--onnx {path}: no such file (expected an .onnx model).")
    graph = onnx.load(str(path), load_external_data=False).graph
    initializers = {init.name for init in graph.initializer}
    inputs = [value for value in graph.input if value.name not in initializers]
    if len(inputs) != 1:
        raise InvalidInputError(f"{path.name} has {len(inputs)} inputs ({[v.name for v in inputs]}); "
                                "the benchmark feeds models with exactly one image input.")
    precision = graph_precision(graph)
    input_dims = inputs[0].type.tensor_type.shape.dim
    fixed = input_dims[0].dim_value if input_dims and input_dims[0].dim_value > 0 else None
    model_meta = {
        "task": "unknown",
        "input": {"name": inputs[0].name, "height": shape[2], "width": shape[3]},
        "outputs": [{"name": output.name} for output in graph.output],
    }
    entry = {"path": path.name, "format": "onnx", "precision": precision,
             "sha256": _sha256(path), "bytes": path.stat().st_size}
    model_file = ModelFile(path=path, variant=precision, entry=entry, model=model_meta)
    backend_class = BY_NAME[backend].load_class()
    return Subject(model=name or path.name, backend=backend, precision=precision, file=path,
                   input_name=inputs[0].name, image_shape=tuple(shape[1:]),
                   open=lambda: backend_class(model_file, threads=threads).activate(),
                   onnx_file=path, fixed_batch=fixed)


def torch_subject(name: str, backend: str, file: Path | None, input_name: str, shape: tuple[int, ...],
                  threads: int, load: Callable[[], object], onnx_file: Path | None = None) -> Subject:
    """A torch module that `load()` makes in eval mode (timed as creation), run in fp32 by
    the runtime's torch backend; its outputs are named output0, output1, ..."""
    model_input = {"name": input_name, "height": shape[2], "width": shape[3]}
    return Subject(model=name, backend=backend, precision="fp32", file=file, input_name=input_name,
                   image_shape=tuple(shape[1:]), onnx_file=onnx_file,
                   open=lambda: module_backend(load, model_input, file=file, threads=threads))


def _import_torch():
    try:
        import torch
    except ModuleNotFoundError as exc:
        raise MissingDependencyError("torch", "bench", "Benchmarking a torch model") from exc
    return torch


def torchscript_subject(path: str | Path, shape: tuple[int, ...], threads: int, name: str | None = None,
                        onnx_file: Path | None = None) -> Subject:
    """A TorchScript file loaded with torch.jit.load (how PAL ships its model)."""
    torch = _import_torch()
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"--torchscript {path}: no such file (expected a torch.jit.save file).")

    return torch_subject(name or path.name, "torchscript", path, "input", shape, threads,
                         lambda: torch.jit.load(str(path), map_location="cpu").eval(), onnx_file)


def module_subject(name: str, build: Callable[[], object], weights: Path, shape: tuple[int, ...], threads: int,
                   onnx_file: Path | None = None) -> Subject:
    """A torch module run eagerly in fp32; its creation is what a user pays: `build()`
    the module, then load its state dict from `weights` (a torch.save file)."""
    torch = _import_torch()

    def load():
        module = build()
        module.load_state_dict(torch.load(str(weights), map_location="cpu", weights_only=True))
        return module.eval()

    return torch_subject(name, "torch", weights, "input", shape, threads, load, onnx_file)