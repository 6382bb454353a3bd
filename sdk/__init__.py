"""artifactsdk: find, name, outline and fix perceptual artifacts in generated images.

`import artifactsdk` stays light: the runtime classes are imported on first use and
nothing here imports torch, onnx or tensorrt.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

from artifactsdk.errors import (  # noqa: E402
    ArtifactSDKError,
    BackendUnavailableError,
    BundleError,
    DatasetError,
    DetectorClosedError,
    ExportError,
    ImageDecodeError,
    InvalidInputError,
    MissingDependencyError,
)

_LAZY = {
    "Detector": "artifactsdk.detector",
    "DetectorSettings": "artifactsdk.detector_settings",
    "Thresholds": "artifactsdk.thresholds",
    "Detection": "artifactsdk.detection",
    "DetectionFailure": "artifactsdk.detection",
    "Region": "artifactsdk.detection",
}

__all__ = [
    "__version__", "ArtifactSDKError", "BackendUnavailableError", "BundleError", "DatasetError",
    "DetectorClosedError", "ExportError", "ImageDecodeError", "InvalidInputError", "MissingDependencyError", *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'artifactsdk' has no attribute {name!r}")
