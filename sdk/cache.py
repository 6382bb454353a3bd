"""Where artifactsdk keeps what it builds or fetches once (TensorRT engines, the
onnxruntime-web package): $ARTIFACTSDK_CACHE, else $XDG_CACHE_HOME/artifactsdk, else
~/.cache/artifactsdk."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    return Path(os.environ.get("ARTIFACTSDK_CACHE")
                or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "artifactsdk")
