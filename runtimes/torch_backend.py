"""The torch backend: runs the bundle's native checkpoint (safetensors) as a reference
and a fallback, or a torch module made elsewhere (`module_backend`: the exporter's
reference, the checkpoints training evaluates, the benchmark's torch peers). torch and
the model definitions are imported only in `activate()`."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

import numpy as np

from artifactsdk.errors import BundleError, MissingDependencyError
from artifactsdk.runtimes.base import Backend, ModelFile, TensorMeta


class TorchBackend(Backend):
    name = "torch"
    device = "cpu"

    def __init__(self, model: ModelFile, *, threads: int | None = None, cache_dir=None,
                 load: Callable[[], object] | None = None):
        """`load`: makes the eval-mode module to run, in `activate()` (default: rebuild the
        bundle's checkpoint from its source.config)."""
        super().__init__(model, threads=threads, cache_dir=cache_dir)
        self.load = load or self._checkpoint_module
        self.network = None
        # One forward at a time: a shared nn.Module is not documented as thread-safe.
        self._lock = threading.Lock()

    def _checkpoint_module(self):
        try:
            from safetensors.torch import load_file

            # imports torch: only when this runs
            from artifactsdk.models import build_model
        except ImportError as exc:
            raise MissingDependencyError(getattr(exc, "name", None) or "torch", "export",
                                         "The torch backend") from exc
        config = self.model.model.get("source", {}).get("config")
        if config is None:
            raise BundleError(f"the bundle's {self.model.model['task']} model has no source.config, "
                              "so its checkpoint cannot be rebuilt for the torch backend. Re-export it.")
        network = build_model(config)
        network.load_state_dict(load_file(str(self.model.path)))
        return network.eval()

    def _activate_impl(self) -> None:
        try:
            import torch
        except ImportError as exc:
            raise MissingDependencyError("torch", "export", "The torch backend") from exc
        network = self.load()
        if self.threads:
            torch.set_num_threads(int(self.threads))
        self.network = network

    def _run_impl(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import torch

        (name,) = feed
        with self._lock, torch.inference_mode():
            produced = self.network(torch.from_numpy(np.ascontiguousarray(feed[name])))
        return self._name_outputs(produced)

    def _name_outputs(self, produced) -> dict[str, np.ndarray]:
        """The module's outputs (a tensor, a tuple or list of them, a dict) as float32 arrays
        under the declared names, every one required; with none declared, a dict's own keys
        or output0, output1, ... in order."""
        names = self.model.output_names
        if isinstance(produced, dict):
            names = names or tuple(produced)
            missing = [n for n in names if n not in produced]
            if missing:
                raise BundleError(f"the torch model returned {sorted(produced)}, the model declares {names}")
            return {n: produced[n].float().numpy() for n in names}
        values = produced if isinstance(produced, (tuple, list)) else (produced,)
        names = names or tuple(f"output{i}" for i in range(len(values)))
        if len(values) != len(names):
            raise BundleError(f"the torch model returned {len(values)} outputs, the model declares {names}")
        return {n: v.float().numpy() for n, v in zip(names, values)}

    def _close_impl(self) -> None:
        self.network = None

    def input_metadata(self) -> dict[str, TensorMeta]:
        spec = self.model.model["input"]
        return {spec["name"]: TensorMeta(spec["name"], ("N", 3, spec["height"], spec["width"]), "float32")}

    def output_metadata(self) -> dict[str, TensorMeta]:
        return {o["name"]: TensorMeta(o["name"], tuple(o.get("shape", ())), "float32")
                for o in self.model.model["outputs"]}


def module_backend(load: Callable[[], object], input: dict, outputs: tuple[str, ...] = (),
                   file: str | Path | None = None, threads: int | None = None) -> TorchBackend:
    """An active torch backend over the module `load()` makes (in eval mode), which no bundle
    describes: `input` is its manifest-style input (name, height, width), `outputs` its output
    names (default output0, output1, ...), `file` what it was read from, if anything."""
    model = ModelFile.outside_bundle(file, "torch", input, tuple(outputs), precision="fp32")
    return TorchBackend(model, threads=threads, load=load).activate()
