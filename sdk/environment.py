"""What this machine is: library versions, execution providers, CPU features.

Shared by `artifactsdk info` and the benchmark, which records it beside its numbers.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import sys

from artifactsdk import __version__

OPTIONAL_MODULES = ("torch", "onnx", "optimum", "tensorrt")


def cpu_info() -> dict:
    """CPU model, core count and the instruction-set features that decide int8 speed."""
    model, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return {
        "model": model,
        "logical_cores": os.cpu_count(),
        "avx2": "avx2" in flags,
        "avx512": any(f.startswith("avx512") for f in flags),
        # VNNI makes int8 dot products fast: AVX512-VNNI or the AVX-VNNI subset.
        "vnni": "avx512_vnni" in flags or "avx_vnni" in flags,
        "amx": "amx_int8" in flags,
        "int8_kernel_path": int8_kernel_path(flags),
    }


def int8_kernel_path(flags: set[str]) -> str:
    """The x86 int8 GEMM path ONNX Runtime (MLAS) takes on a CPU with these flags: "vnni"
    (u8 x s8 products summed in int32), "avx512" or "avx2" (pairs of products first summed
    in int16 by vpmaddubsw, which saturates with 8-bit weights), else "other"."""
    if "avx512_vnni" in flags or "avx_vnni" in flags:
        return "vnni"
    if "avx512bw" in flags:
        return "avx512"
    return "avx2" if "avx2" in flags else "other"


def int8_saturation_risk(quantization: dict, kernel_path: str) -> str | None:
    """Why an int8 file's outputs may differ from what its export measured on this CPU's
    kernel path, or None. Files exported before int8 exactness was recorded multiply uint8
    activations by 8-bit weights: exact with VNNI only."""
    if kernel_path not in ("avx2", "avx512") or quantization.get("weights") != "QInt8":
        return None
    exact = quantization.get("integer_exactness", {}).get("exact_kernel_paths")
    if exact is None and not quantization.get("reduce_range"):
        exact = ["vnni"]
    if exact is None or kernel_path in exact:
        return None
    return (f"its int8 weights use all 8 bits, and this CPU has no VNNI: ONNX Runtime's {kernel_path} "
            "kernels add pairs of products in int16, which saturates, so scores, labels and masks can differ "
            "from the bundle's measured int8 accuracy. Re-export it with this artifactsdk (7-bit weights) "
            "or use precision='fp32'.")


def module_status(name: str) -> dict:
    """Whether `name` is installed, with its version, found without importing it: `info`
    must stay light, and importing torch or TensorRT takes seconds."""
    if importlib.util.find_spec(name) is None:
        return {"available": False, "reason": "not installed"}
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return {"available": True, "version": version}


def environment(check_optional: bool = True) -> dict:
    """Everything `artifactsdk info --json` prints."""
    import numpy
    import onnxruntime

    info = {
        "artifactsdk": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "onnxruntime": {
            "version": onnxruntime.__version__,
            "providers": onnxruntime.get_available_providers(),
        },
        "cpu": cpu_info(),
    }
    if check_optional:
        info["optional"] = {name: module_status(name) for name in OPTIONAL_MODULES}
    return info
