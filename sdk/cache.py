"""Where artifactsdk keeps what it builds or fetches once (TensorRT engines, the
onnxruntime-web package): $ARTIFACTSDK_CACHE, else the platform's user cache folder by
platformdirs ($XDG_CACHE_HOME/artifactsdk or ~/.cache/artifactsdk on Linux,
~/Library/Caches/artifactsdk on macOS, %LOCALAPPDATA%\\artifactsdk\\Cache on Windows)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_path


def cache_root() -> Path:
    configured = os.environ.get("ARTIFACTSDK_CACHE", "").strip()
    return Path(configured) if configured else user_cache_path("artifactsdk", appauthor=False)
