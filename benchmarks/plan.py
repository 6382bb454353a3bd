"""The configurations a bench run asks for: each bundle model on each backend at each
precision and batch, as a subject to time or a skip with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from artifactsdk.benchmarks.harness import Skipped
from artifactsdk.benchmarks.subjects import Subject
from artifactsdk.bundle import Bundle
from artifactsdk.errors import InvalidInputError
from artifactsdk.runtimes.base import ModelFile
from artifactsdk.runtimes.registry import BY_NAME

BACKEND_ALIASES = {"ort": "ort-cpu", "onnxruntime": "ort-cpu", "trt": "tensorrt"}
TORCH_PRECISION = "fp32"  # the torch backend runs the native checkpoint as float32


def backend_name(text: str) -> str:
    name = BACKEND_ALIASES.get(text, text)
    if name not in BY_NAME:
        raise InvalidInputError(f"unknown backend {text!r}; expected one of "
                                f"{', '.join([*BACKEND_ALIASES, *BY_NAME])}.")
    return name


@dataclass(frozen=True)
class Plan:
    subjects: list[Subject] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def image_shape(model: dict, size: int | None) -> tuple[int, int, int]:
    """C, H, W the model runs at: `size` square when its input is dynamic, else the manifest's."""
    spec = model["input"]
    if size is not None and spec.get("dynamic_hw"):
        multiple = spec.get("multiple_of", 1)
        if size % multiple:
            raise InvalidInputError(f"--size {size} is not a multiple of {multiple}, which the "
                                    f"{model['task']} model needs; try {size - size % multiple or multiple}.")
        return (3, size, size)
    return (3, spec["height"], spec["width"])


def _subject(role: str, backend: str, model_file: ModelFile, shape: tuple[int, int, int],
             onnx_fp32: Path | None, threads: int) -> Subject:
    backend_class = BY_NAME[backend].load_class()
    return Subject(model=role, backend=backend, precision=model_file.precision if backend != "torch"
                   else TORCH_PRECISION, file=model_file.path, input_name=model_file.model["input"]["name"],
                   image_shape=shape, open=lambda: backend_class(model_file, threads=threads).activate(),
                   onnx_file=onnx_fp32)


def plan_bundle(bundle: Bundle, roles: list[str], backends: list[str], precisions: list[str],
                size: int | None, threads: int) -> Plan:
    """Subjects for every (role, backend, precision) that can run; a Skipped for the rest.

    Batch sizes are applied by the caller (every subject runs at each batch)."""
    plan = Plan()
    for role in roles:
        model = bundle.model(role)
        shape = image_shape(model, size)
        fp32_onnx = bundle.find_file(role, "onnx", "fp32")
        onnx_fp32 = fp32_onnx.path if fp32_onnx else None
        for backend in backends:
            entry = BY_NAME[backend]
            reason = entry.unavailable_reason(bundle.formats(role))
            for precision in precisions:
                if reason is not None:
                    plan.skipped.append(Skipped(role, backend, precision, None, reason))
                    continue
                if backend == "torch":
                    if precision != TORCH_PRECISION:
                        plan.skipped.append(Skipped(role, backend, precision, None,
                                                    "the torch backend runs the native checkpoint in fp32; "
                                                    f"{precision} exists only as an ONNX file"))
                        continue
                    model_file = bundle.model_file(role, "safetensors", "auto", "cpu")
                else:
                    # find_file, not model_file: the latter refuses fp16 on a CPU backend,
                    # which the benchmark measures on purpose (so users see what it costs)
                    model_file = bundle.find_file(role, entry.formats[0], precision)
                    if model_file is None:
                        fallback = model.get("precision_fallback", {}).get(precision)
                        why = (f"the export kept the {role} in {fallback['runs']}: {fallback['reason']}" if fallback
                               else f"the bundle has no {precision} {entry.formats[0]} file for the {role}")
                        plan.skipped.append(Skipped(role, backend, precision, None, why))
                        continue
                plan.subjects.append(_subject(role, backend, model_file, shape, onnx_fp32, threads))
    return plan
