"""Backend registry: names -> lazily imported backend classes, and the choice for "auto".

"auto" walks the entries best first (TensorRT > ORT-TensorRT > ORT-CUDA > ORT-CPU >
torch) and takes the first that has a file it can read in the bundle and can run here;
every better entry it passes over is logged with the reason. The bundle is asked before
the machine, so a backend without a file is never probed (nor its libraries imported).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass
from typing import Callable

from artifactsdk.errors import BackendUnavailableError, InvalidInputError
from artifactsdk.runtimes.ort_session import CPU

log = logging.getLogger(__name__)


def _provider_probe(provider: str, hint: str) -> Callable[[], str | None]:
    def probe() -> str | None:
        # onnxruntime (0.16 s) is imported when a backend is probed or picked, as the backends are
        from artifactsdk.runtimes.onnxruntime_backend import available_providers

        providers = available_providers()
        return None if provider in providers else f"onnxruntime offers {providers}, not {provider} ({hint})"
    return probe


def _module_probe(*modules: str) -> Callable[[], str | None]:
    def probe() -> str | None:
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        return None if not missing else f"{', '.join(missing)} not installed (pip install 'artifactsdk[export]')"
    return probe


_NATIVE_TENSORRT = "artifactsdk.runtimes.tensorrt_backend"


def _native_tensorrt_probe() -> str | None:
    return importlib.import_module(_NATIVE_TENSORRT).unavailable_reason()


@dataclass(frozen=True)
class BackendEntry:
    name: str
    device: str
    formats: tuple[str, ...]  # bundle file formats this backend runs
    target: str  # "module:Class", imported only when chosen
    probe: Callable[[], str | None]  # why it cannot run on this machine, or None

    def load_class(self):
        module_name, attribute = self.target.split(":")
        return getattr(importlib.import_module(module_name), attribute)

    def unavailable_reason(self, formats: set[str]) -> str | None:
        """The bundle is asked first: probing the machine may import a backend's libraries
        (the TensorRT probe imports torch), which a backend without a file must not cost."""
        if not formats & set(self.formats):
            return f"the bundle has no {' or '.join(self.formats)} file for it"
        return self.probe()


_ORT = "artifactsdk.runtimes.onnxruntime_backend"
BACKENDS: tuple[BackendEntry, ...] = (
    BackendEntry("tensorrt", "gpu", ("engine",), f"{_NATIVE_TENSORRT}:TensorRTBackend",
                 _native_tensorrt_probe),
    BackendEntry("ort-tensorrt", "gpu", ("onnx",), f"{_ORT}:OrtTensorRTBackend",
                 _provider_probe("TensorrtExecutionProvider", "needs onnxruntime-gpu and TensorRT")),
    BackendEntry("ort-cuda", "gpu", ("onnx",), f"{_ORT}:OrtCudaBackend",
                 _provider_probe("CUDAExecutionProvider", "needs onnxruntime-gpu and a CUDA GPU")),
    BackendEntry("ort-cpu", "cpu", ("onnx",), f"{_ORT}:OrtCpuBackend",
                 _provider_probe(CPU, "a broken onnxruntime install")),
    BackendEntry("torch", "cpu", ("safetensors",), "artifactsdk.runtimes.torch_backend:TorchBackend",
                 _module_probe("torch", "safetensors")),
)
BY_NAME = {entry.name: entry for entry in BACKENDS}
CHOICES = ("auto", *BY_NAME)


def select(requested: str, formats: set[str], what: str = "model") -> BackendEntry:
    """The backend to run `what`, whose bundle files come in `formats`."""
    if requested == "auto":
        for entry in BACKENDS:
            reason = entry.unavailable_reason(formats)
            if reason is None:
                log.info("%s: using backend %s", what, entry.name)
                return entry
            log.info("%s: skipping backend %s: %s", what, entry.name, reason)
        raise BackendUnavailableError(f"no backend can run the {what} here (bundle formats: {sorted(formats)}); "
                                      "run with logging at INFO level to see why each was skipped")
    if requested not in BY_NAME:
        raise InvalidInputError(f"unknown backend {requested!r}; expected one of {', '.join(CHOICES)}")
    entry = BY_NAME[requested]
    reason = entry.unavailable_reason(formats)
    if reason is not None:
        raise BackendUnavailableError(f"backend {requested} cannot run the {what}: {reason}. "
                                      "Use backend='auto' to take the best available one.")
    return entry
