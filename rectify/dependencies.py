"""Lazy imports of the repair path's optional libraries (torch, OpenCV, diffusers).

`import artifactsdk` and the detector never import these; the fix path asks for them
here, and a missing one becomes a MissingDependencyError naming the extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from artifactsdk.errors import InvalidInputError, MissingDependencyError

FIX_EXTRA = "fix"


def require(module: str, package: str | None = None, extra: str = FIX_EXTRA,
            purpose: str = "Repairing artifacts (artifactsdk fix)") -> ModuleType:
    """Import `module` or raise MissingDependencyError naming `package` and `extra`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # also raised when sys.modules[module] is None
        raise MissingDependencyError(package or module, extra, purpose) from exc


def torch() -> ModuleType:
    return require("torch")


def cv2() -> ModuleType:
    return require("cv2", package="opencv-python-headless")


def prepare_torch(device: str | None, threads: int | None) -> str:
    """Check the fix extra before anything is loaded; set torch's CPU threads; resolve the device."""
    torch_module = torch()
    cv2()
    if threads is not None:
        torch_module.set_num_threads(threads)
    return str(resolve_device(device))


def resolve_device(device: str | None):
    """'cpu', 'cuda', 'cuda:1' or None (= cuda when available, else cpu) -> torch.device."""
    torch_module = torch()
    if device is None:
        return torch_module.device("cuda" if torch_module.cuda.is_available() else "cpu")
    resolved = torch_module.device(device)
    if resolved.type == "cuda" and not torch_module.cuda.is_available():
        raise InvalidInputError(
            f"device {device!r} was asked for but torch sees no CUDA GPU on this machine; "
            "pass --device cpu (or device=None to pick automatically)")
    return resolved
