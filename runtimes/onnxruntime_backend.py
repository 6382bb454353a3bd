"""ONNX Runtime backends: the CPU, CUDA and TensorRT execution providers.

Provider options follow ONNX Runtime's documented names (CUDAExecutionProvider:
`device_id`, `cudnn_conv_algo_search`, `arena_extend_strategy`;
TensorrtExecutionProvider: `trt_fp16_enable`, `trt_int8_enable`,
`trt_engine_cache_enable`, `trt_engine_cache_path`, `trt_timing_cache_enable`,
`trt_timing_cache_path`, `trt_max_workspace_size`, `trt_profile_{min,opt,max}_shapes`). ORT sessions are thread-safe for
`run`, so one session serves every thread.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from artifactsdk.cache import cache_root
from artifactsdk.errors import BackendUnavailableError, BundleError
from artifactsdk.runtimes.base import Backend, ModelFile, TensorMeta
from artifactsdk.runtimes.ort_session import CPU, open_session

CUDA = "CUDAExecutionProvider"
TENSORRT = "TensorrtExecutionProvider"

_ORT_TYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(int64)": "int64",
              "tensor(int32)": "int32", "tensor(uint8)": "uint8", "tensor(int8)": "int8",
              "tensor(bool)": "bool", "tensor(double)": "float64"}


def available_providers() -> list[str]:
    import onnxruntime

    return onnxruntime.get_available_providers()


def default_engine_cache_dir() -> Path:
    """Where the TensorRT provider keeps the engines it builds."""
    return cache_root() / "ort-tensorrt"


def cuda_options(device_id: int = 0) -> dict:
    return {"device_id": device_id, "cudnn_conv_algo_search": "HEURISTIC",
            "arena_extend_strategy": "kSameAsRequested"}


MAX_BATCH = 8  # the TensorRT profile covers batches 1..MAX_BATCH (Detector.detect_batch's default)


def tensorrt_options(model: ModelFile, cache_dir: Path, device_id: int = 0,
                     workspace_bytes: int = 2 << 30) -> dict:
    """TensorRT provider options for one bundle file: precision flags from the file's
    precision (an int8 file is a QDQ graph, so TensorRT needs no calibration table), an
    engine cache keyed by the file's hash, so a changed model never reuses an engine, and
    one shape profile at the manifest's input size for batches 1..MAX_BATCH, so the engine
    is built once instead of again for each new batch size."""
    cache = cache_dir / model.entry["sha256"][:16]
    spec = model.model["input"]
    shape = f"{spec['name']}:{{}}x3x{spec['height']}x{spec['width']}"
    return {
        "trt_profile_min_shapes": shape.format(1),
        "trt_profile_opt_shapes": shape.format(1),
        "trt_profile_max_shapes": shape.format(MAX_BATCH),
        "device_id": device_id,
        "trt_max_workspace_size": workspace_bytes,
        "trt_fp16_enable": model.precision in ("fp16", "int8"),
        "trt_int8_enable": model.precision == "int8",
        "trt_engine_cache_enable": True,
        "trt_engine_cache_path": str(cache),
        "trt_timing_cache_enable": True,
        "trt_timing_cache_path": str(cache),
    }


class OnnxRuntimeBackend(Backend):
    """One InferenceSession on one provider chain; `provider` is the one that must run it."""

    provider = CPU

    def __init__(self, model: ModelFile, *, threads: int | None = None, cache_dir: Path | None = None):
        super().__init__(model, threads=threads, cache_dir=cache_dir or default_engine_cache_dir())
        self.session = None
        self.output_names: tuple[str, ...] = ()  # what `run` returns, known once active

    def provider_chain(self) -> list:
        """Providers in priority order, each `name` or `(name, options)`."""
        return [CPU]

    def _model_source(self) -> Path | bytes:
        """What the session loads. On the CPU provider: the model's bytes, read once and checked
        against the manifest's sha256 here, so the file cannot change between its verification
        and its loading. GPU providers (untested with bytes here) and models with external data
        load the verified path."""
        if self.provider != CPU or self.model.entry.get("external_data") or "sha256" not in self.model.entry:
            return self.model.path
        data = self.model.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.model.entry["sha256"]:
            raise BundleError(f"{self.model.path.name} changed after it was verified (its sha256 no longer "
                              "matches the manifest); refused.")
        return data

    def _activate_impl(self) -> None:
        source = self._model_source()
        try:
            session = open_session(source, self.provider_chain(), self.threads)
        except Exception as exc:  # ORT raises its own (non-ImportError) exception types
            raise BackendUnavailableError(
                f"ONNX Runtime could not load {self.model.path.name} on {self.provider}: {exc}") from exc
        used = session.get_providers()
        if not used or used[0] != self.provider:
            raise BackendUnavailableError(
                f"backend {self.name} needs {self.provider}, but ONNX Runtime fell back to {used}. "
                "Check the GPU driver and the onnxruntime-gpu install, or choose backend='ort-cpu'.")
        self.session = session
        self.output_names = self.model.output_names or tuple(node.name for node in session.get_outputs())

    def _run_impl(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        names = list(self.output_names)
        values = self.session.run(names, feed)
        return dict(zip(names, values))

    def _close_impl(self) -> None:
        self.session = None

    def _metadata(self, nodes) -> dict[str, TensorMeta]:
        return {node.name: TensorMeta(node.name, tuple(node.shape), _ORT_TYPES.get(node.type, node.type))
                for node in nodes}

    def input_metadata(self) -> dict[str, TensorMeta]:
        return self._metadata(self.session.get_inputs())

    def output_metadata(self) -> dict[str, TensorMeta]:
        return self._metadata(self.session.get_outputs())


class OrtCpuBackend(OnnxRuntimeBackend):
    name = "ort-cpu"
    device = "cpu"
    provider = CPU


class OrtCudaBackend(OnnxRuntimeBackend):
    name = "ort-cuda"
    device = "gpu"
    provider = CUDA

    def provider_chain(self) -> list:
        return [(CUDA, cuda_options()), CPU]


class OrtTensorRTBackend(OnnxRuntimeBackend):
    name = "ort-tensorrt"
    device = "gpu"
    provider = TENSORRT
    max_batch = MAX_BATCH  # the engine's shape profile ends there

    def provider_chain(self) -> list:
        # Nodes TensorRT cannot take fall back to CUDA, then CPU (ORT partitions the graph).
        return [(TENSORRT, tensorrt_options(self.model, self.cache_dir)), (CUDA, cuda_options()), CPU]

    def _activate_impl(self) -> None:
        (self.cache_dir / self.model.entry["sha256"][:16]).mkdir(parents=True, exist_ok=True)
        super()._activate_impl()


def onnx_file_backend(path: str | Path, threads: int | None = None) -> OrtCpuBackend:
    """An active ONNX Runtime CPU backend over an ONNX file no bundle describes (the
    exporter's graphs): it returns every output of the file, in the file's order."""
    return OrtCpuBackend(ModelFile.outside_bundle(path, "onnx"), threads=threads).activate()
