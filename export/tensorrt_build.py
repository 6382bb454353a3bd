"""Build TensorRT engines for a bundle's models through TensorRT's Python API.

fp16: on TensorRT 10 the fp32 ONNX with the FP16 builder flag (weakly typed); TensorRT 11
removed that flag, so there the bundle's fp16 ONNX is built as a strongly typed network.
int8: the bundle's `tensorrt`-preset QDQ ONNX as a strongly typed network (explicit
quantization, TensorRT 10 and 11). The implicit calibrator path (fp32 ONNX + INT8 flag +
an entropy calibrator) is used only when the bundle has no QDQ model for TensorRT and the
installed TensorRT still has IInt8EntropyCalibrator2 (removed in TensorRT 11).

The engine file holds only TensorRT's serialized bytes; everything about it (TensorRT
version, GPU, compute capability, shape profile, precision, sha256) goes into the
manifest, as the file variant `trt-fp16` / `trt-int8` with format `engine`.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from functools import partial
from typing import Callable, ContextManager, Iterable, Sequence

import numpy as np

from artifactsdk.errors import ExportError, InvalidInputError
from artifactsdk.export.engine_options import EngineBuildOptions
from artifactsdk.export.tensorrt_calibrator import entropy_calibrator
from artifactsdk.manifest import file_entry, read_manifest, verify_file, write_manifest
from artifactsdk.preprocess import InputSpec
from artifactsdk.runtimes.tensorrt_support import GpuIdentity, detect_gpu, import_tensorrt
DEFAULT_MAX_BATCH = 8

# How a network is built: which ONNX variant feeds it and which builder settings apply.
WEAK_FP16 = "fp32 ONNX + FP16 builder flag"
STRONG = "strongly typed"
IMPLICIT_INT8 = "fp32 ONNX + INT8 flag + entropy calibrator"


@dataclass(frozen=True)
class ShapeProfile:
    """One optimization profile for the model's single image input."""
    input: str
    min: tuple[int, ...]
    opt: tuple[int, ...]
    max: tuple[int, ...]

    def to_dict(self) -> dict:
        return {"input": self.input, "min": list(self.min), "opt": list(self.opt), "max": list(self.max)}


@dataclass(frozen=True)
class BuildPlan:
    """Which bundle file feeds TensorRT and how the network is typed."""
    source_variant: str
    source_path: Path
    mode: str

    @property
    def strongly_typed(self) -> bool:
        return self.mode == STRONG


@dataclass(frozen=True)
class EngineBuildResult:
    model: str
    variant: str
    path: str
    precision: str
    source_variant: str
    mode: str
    profile: ShapeProfile
    tensorrt_version: str
    gpu: GpuIdentity
    sha256: str
    bytes: int
    seconds: float

    def to_dict(self) -> dict:
        return {"model": self.model, "variant": self.variant, "path": self.path, "precision": self.precision,
                "source_variant": self.source_variant, "mode": self.mode, "profile": self.profile.to_dict(),
                "tensorrt_version": self.tensorrt_version, **self.gpu.to_dict(), "sha256": self.sha256,
                "bytes": self.bytes, "seconds": round(self.seconds, 3)}


def shape_profile(input_entry: dict, options: EngineBuildOptions) -> ShapeProfile:
    """The profile from the options, defaulting to the bundle's input size with batch 1..8."""
    fixed = (3, input_entry["height"], input_entry["width"])
    opt = options.opt_shape or (1, *fixed)
    low = options.min_shape or (1, *opt[1:])
    high = options.max_shape or (max(DEFAULT_MAX_BATCH, opt[0]), *opt[1:])
    if not all(a <= b <= c for a, b, c in zip(low, opt, high)):
        raise InvalidInputError(f"shape profile must satisfy min <= opt <= max in every dimension, "
                                f"got min {low}, opt {opt}, max {high}.")
    if not input_entry.get("dynamic_hw") and not (low[2:] == opt[2:] == high[2:] == fixed[1:]):
        raise InvalidInputError(
            f"this model's input is fixed at {fixed[1]}x{fixed[2]} (the bundle's input is not dynamic in H/W); "
            f"the profile asks for {low[2:]}..{high[2:]}. Change only the batch dimension, or build the "
            "models one at a time with --models.")
    return ShapeProfile(input_entry["name"], tuple(low), tuple(opt), tuple(high))


def _onnx_variant(files: dict, precision: str, preset: str | None = None) -> str | None:
    for name, entry in files.items():
        if entry["format"] != "onnx" or entry["precision"] != precision:
            continue
        if preset is None or entry.get("quantization", {}).get("preset") == preset:
            return name
    return None


def plan_build(bundle_dir: Path, model_name: str, model: dict, precision: str, trt) -> BuildPlan:
    """Pick the ONNX file and the network typing for `precision` under the installed TensorRT."""
    files = model["files"]
    fp32 = _onnx_variant(files, "fp32")
    if precision == "fp16":
        if hasattr(trt.BuilderFlag, "FP16") and fp32:
            variant, mode = fp32, WEAK_FP16
        else:
            variant, mode = _onnx_variant(files, "fp16"), STRONG
            if variant is None:
                raise ExportError(
                    f"TensorRT {trt.__version__} builds fp16 only from an fp16 ONNX model (it has no FP16 "
                    f"builder flag), and the {model_name} of {bundle_dir} has none. Export one with "
                    "'artifactsdk export ... --precision fp32,fp16' and build again.")
    else:
        variant, mode = _onnx_variant(files, "int8", preset="tensorrt"), STRONG
        if variant is None:
            if hasattr(trt, "IInt8EntropyCalibrator2") and hasattr(trt.BuilderFlag, "INT8") and fp32:
                variant, mode = fp32, IMPLICIT_INT8
            else:
                raise ExportError(
                    f"int8 engines are built from a QDQ model quantized with the 'tensorrt' preset "
                    f"(symmetric int8), and the {model_name} of {bundle_dir} has none. Export one with "
                    "'artifactsdk export ... --precision fp32,int8 --preset tensorrt' and build again.")
    return BuildPlan(variant, verify_file(bundle_dir, files[variant]), mode)


def _network_flags(trt, plan: BuildPlan) -> int:
    flag = getattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED", None)
    return 1 << int(flag) if plan.strongly_typed and flag is not None else 0


def _parse_onnx(trt, network, logger, path: Path) -> None:
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(path)):
        errors = "\n".join(f"  {parser.get_error(i)}" for i in range(parser.num_errors))
        raise ExportError(f"TensorRT's ONNX parser rejected {path}:\n{errors}\n"
                          "Check that the model was exported with a supported opset (17+).")


def _configure(trt, builder, config, plan: BuildPlan, profile: ShapeProfile, options: EngineBuildOptions,
               calibrator: Callable[[], object] | None) -> None:
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(options.workspace_gib * (1 << 30)))
    optimization_profile = builder.create_optimization_profile()
    optimization_profile.set_shape(profile.input, profile.min, profile.opt, profile.max)
    config.add_optimization_profile(optimization_profile)
    if plan.mode == WEAK_FP16:
        config.set_flag(trt.BuilderFlag.FP16)
    elif plan.mode == IMPLICIT_INT8:
        if calibrator is None:
            raise ExportError("this TensorRT calibrates int8 itself here, which needs calibration images: "
                              "pass --calib DIR or --calib-synth N (or export an int8 model with --preset tensorrt).")
        config.set_flag(trt.BuilderFlag.INT8)
        config.set_flag(trt.BuilderFlag.FP16)  # layers int8 cannot take fall back to fp16, not fp32
        config.int8_calibrator = calibrator()
        config.set_calibration_profile(optimization_profile)
    if options.version_compatible:
        config.set_flag(trt.BuilderFlag.VERSION_COMPATIBLE)
    if options.hardware_compat == "ampere_plus":
        config.hardware_compatibility_level = trt.HardwareCompatibilityLevel.AMPERE_PLUS


def _load_timing_cache(config, path: str | None):
    data = Path(path).read_bytes() if path and Path(path).is_file() else b""
    cache = config.create_timing_cache(data)
    config.set_timing_cache(cache, False)  # ignore_mismatch=False: a cache from another GPU is not used
    return cache


def build_serialized_engine(trt, plan: BuildPlan, profile: ShapeProfile, options: EngineBuildOptions,
                            calibrator: Callable[[], object] | None = None) -> bytes:
    """Parse the plan's ONNX, configure the builder, and return the serialized engine bytes."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(_network_flags(trt, plan))
    _parse_onnx(trt, network, logger, plan.source_path)
    config = builder.create_builder_config()
    _configure(trt, builder, config, plan, profile, options, calibrator)
    _load_timing_cache(config, options.timing_cache)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise ExportError(f"TensorRT could not build an engine from {plan.source_path} ({plan.mode}, profile "
                          f"{profile.to_dict()}); its log above says why. Try a larger --workspace or a "
                          "narrower shape profile.")
    if options.timing_cache:
        Path(options.timing_cache).write_bytes(bytes(config.get_timing_cache().serialize()))
    return bytes(serialized)


def _quiet_status(_label: str) -> ContextManager:
    return contextlib.nullcontext()


def build_bundle_engines(bundle_dir: str | Path, options: EngineBuildOptions, gpu: GpuIdentity | None = None,
                         status: Callable[[str], ContextManager] = _quiet_status,
                         calibration_images: Callable[[], Sequence[np.ndarray]] | None = None,
                         ) -> list[EngineBuildResult]:
    """Build one engine per selected model, write `<model>.trt-<precision>.engine` and record it.

    `status(label)` wraps each build (the CLI passes a spinner); `calibration_images`
    (called only when needed) feeds the implicit int8 path of TensorRT <= 10.
    """
    trt = import_tensorrt()
    gpu = gpu or detect_gpu()
    bundle_dir = Path(bundle_dir)
    manifest = read_manifest(bundle_dir)
    names = _selected_models(manifest, options.models, bundle_dir)
    variant = f"trt-{options.precision}"
    results = []
    for name in names:
        model = manifest["models"][name]
        profile = shape_profile(model["input"], options)
        plan = plan_build(bundle_dir, name, model, options.precision, trt)
        started = time.perf_counter()
        calibrator = None
        if plan.mode == IMPLICIT_INT8 and calibration_images is not None:
            spec = InputSpec.from_manifest(model["input"])
            calibrator = partial(entropy_calibrator, trt, calibration_images(), spec, profile.opt[0])
        with status(f"building {variant} engine for the {name} ({plan.mode}, from '{plan.source_variant}')"):
            engine = build_serialized_engine(trt, plan, profile, options, calibrator)
        seconds = time.perf_counter() - started
        relative = f"{name}.{variant}.engine"
        (bundle_dir / relative).write_bytes(engine)
        record = {"version": trt.__version__, **gpu.to_dict(), "profiles": [profile.to_dict()],
                  "built_from": plan.source_variant, "mode": plan.mode,
                  "version_compatible": options.version_compatible,
                  "hardware_compatibility": options.hardware_compat}
        entry = file_entry(bundle_dir, relative, "engine", options.precision, tensorrt=record)
        model["files"][variant] = entry
        results.append(EngineBuildResult(name, variant, relative, options.precision, plan.source_variant, plan.mode,
                                         profile, trt.__version__, gpu, entry["sha256"], entry["bytes"], seconds))
    write_manifest(bundle_dir, manifest)
    return results


def _selected_models(manifest: dict, wanted: Iterable[str], bundle_dir: Path) -> list[str]:
    available = list(manifest["models"])
    wanted = list(wanted) or available
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise InvalidInputError(f"{bundle_dir} has the models {available}, not {unknown}.")
    return wanted
