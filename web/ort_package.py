"""ONNX Runtime Web from npm, vendored into an export at build time (never a CDN at run time).

`npm pack` fetches the pinned release through npm's own client (which checks the registry's
integrity hash); the files the exported page loads are taken from its `dist/` folder and
kept in a cache, so later exports need no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from artifactsdk.cache import cache_root
from artifactsdk.errors import ExportError

ORT_WEB_VERSION = "1.30.0"
# The builds the detector module imports (artifact-detector.js ORT_BUILDS) and the Emscripten
# loader + WebAssembly each one fetches: plain SIMD (+threads) for WASM, asyncify for WebGPU.
BUILDS = {
    "wasm": ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"),
    "webgpu": ("ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm"),
}


def ort_web_dist(version: str = ORT_WEB_VERSION, source: Path | None = None) -> Path:
    """A folder with the `dist/` files of onnxruntime-web `version`.

    `source`: an installed package (node_modules/onnxruntime-web) to take them from instead
    of npm; its version must match."""
    if source is not None:
        return _checked_dist(Path(source), version)
    target = cache_root() / f"onnxruntime-web-{version}"
    if not (target / "package" / "dist" / BUILDS["wasm"][0]).is_file():
        _npm_pack(version, target)
    return _checked_dist(target / "package", version)


def _checked_dist(package: Path, version: str) -> Path:
    import json

    manifest = package / "package.json"
    if not manifest.is_file():
        raise ExportError(f"{package} is not an npm package folder (no package.json); expected "
                          "node_modules/onnxruntime-web.")
    found = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    if found != version:
        raise ExportError(f"{package} holds onnxruntime-web {found}; this SDK is built against {version}.")
    missing = [name for files in BUILDS.values() for name in files if not (package / "dist" / name).is_file()]
    if missing:
        raise ExportError(f"{package}/dist lacks {', '.join(missing)}.")
    return package


def _npm_pack(version: str, target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise ExportError("export-web vendors onnxruntime-web from npm, but the 'npm' command is not "
                          "installed (apt-get install npm, or pass --ort-from node_modules/onnxruntime-web).")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        run = subprocess.run([npm, "pack", f"onnxruntime-web@{version}", "--pack-destination", scratch,
                              "--silent"], capture_output=True, text=True, cwd=scratch)
        tarballs = list(Path(scratch).glob("onnxruntime-web-*.tgz"))
        if run.returncode != 0 or not tarballs:
            raise ExportError(f"npm pack onnxruntime-web@{version} failed: {run.stderr.strip() or run.stdout.strip()}")
        unpacked = Path(scratch) / "unpacked"
        wanted = {f"package/dist/{name}" for files in BUILDS.values() for name in files}
        wanted.add("package/package.json")
        with tarfile.open(tarballs[0]) as archive:
            members = [m for m in archive.getmembers() if m.name in wanted and m.isfile()]
            archive.extractall(unpacked, members=members, filter="data")
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)


def vendor(dist_package: Path, out_dir: Path, devices: tuple[str, ...]) -> list[str]:
    """Copy the files `devices` need into out_dir; returns their names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [name for device in devices for name in BUILDS[device]]
    for name in names:
        shutil.copyfile(dist_package / "dist" / name, out_dir / name)
    return names
