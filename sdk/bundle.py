"""Finding a bundle, choosing the file variant for a backend and precision, verifying it.

Hashes are checked (artifactsdk.manifest.verify_file) before any model file is opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from artifactsdk.errors import BundleError, InvalidInputError
from artifactsdk.manifest import MANIFEST_NAME, parse_manifest, read_manifest_bytes, verify_file
from artifactsdk.runtimes.base import ModelFile
from artifactsdk.thresholds import Thresholds, stored_thresholds
from artifactsdk.signing import verify_signature

PRECISIONS = ("auto", "fp32", "int8", "fp16")
# What precision="auto" loads, in order of preference: int8 is the CPU's fast path; a GPU
# prefers fp16, and int8 QDQ runs there too when it is all a bundle has.
AUTO_ORDER = {"cpu": ("int8", "fp32"), "gpu": ("fp16", "fp32", "int8")}
ROLES = ("classifier", "segmenter")


def default_bundle_dir() -> Path:
    return Path(str(resources.files("artifactsdk").joinpath("bundles", "default")))


def resolve_bundle_dir(bundle: str | Path) -> Path:
    """"default" -> the bundle shipped in the package; anything else is a directory path."""
    if isinstance(bundle, str) and bundle == "default":
        path = default_bundle_dir()
        if not (path / "manifest.json").is_file():
            raise BundleError(f"the default bundle is not installed (expected {path}/manifest.json). "
                              "Reinstall artifactsdk, or pass bundle=PATH to a bundle made by "
                              "'artifactsdk export'.")
        return path
    path = Path(bundle)
    if not path.is_dir():
        found = "a file" if path.exists() else "nothing"
        raise BundleError(f"bundle {path} should be a directory holding manifest.json; found {found} there.")
    return path


def choose_precision(files: dict, precision: str, device: str, fmt: str, fallbacks: dict | None = None) -> str:
    """The precision to load: "auto" = the first present of AUTO_ORDER for the device;
    fp16 only on a GPU (CPU kernels for it are slow or missing).
    A precision the export rejected for this model (`fallbacks`, the manifest's
    precision_fallback) loads the precision the export chose in its place."""
    if precision not in PRECISIONS:
        raise InvalidInputError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
    present = {entry["precision"] for entry in files.values() if entry["format"] == fmt}
    if fmt != "onnx":  # native checkpoints and engines come in the precision they were made
        if precision not in ("auto", *present):
            raise InvalidInputError(f"the {fmt} file is {'/'.join(sorted(present))}; precision "
                                    f"{precision!r} applies to ONNX files. Use precision='auto'.")
        return sorted(present)[0]
    if precision == "fp16" and device != "gpu":
        raise InvalidInputError("precision 'fp16' runs only on a GPU backend (ort-cuda, ort-tensorrt); "
                                "on CPU use 'int8' or 'fp32'.")
    if precision == "auto":
        precision = next((choice for choice in AUTO_ORDER[device] if choice in present), "fp32")
    if precision not in present and precision in (fallbacks or {}):
        precision = fallbacks[precision]["runs"]
    if precision not in present:
        raise BundleError(f"the bundle has no {precision} ONNX file for this model; it has "
                          f"{', '.join(sorted(present)) or 'none'}.")
    return precision


@dataclass(frozen=True)
class Bundle:
    root: Path
    manifest: dict = field(repr=False)

    @classmethod
    def open(cls, bundle: str | Path = "default", trusted_keys=None) -> "Bundle":
        """`trusted_keys` (Ed25519 public keys: PEM paths, PEM bytes or key objects): refuse the
        bundle unless one of them signed its manifest (artifactsdk.signing)."""
        root = resolve_bundle_dir(bundle)
        data = read_manifest_bytes(root)
        if trusted_keys is not None:
            verify_signature(root, data, trusted_keys)
        return cls(root, parse_manifest(data, str(root / MANIFEST_NAME)))

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(role for role in ROLES if role in self.manifest["models"])

    def model(self, role: str) -> dict:
        try:
            return self.manifest["models"][role]
        except KeyError:
            raise BundleError(f"bundle {self.root} has no {role}; it has {', '.join(self.roles)}") from None

    def source_config(self, role: str) -> dict:
        """The checkpoint config the bundle recorded for `role` ({} when absent): which classes
        were trained, how the segmenter scores an image."""
        if role not in self.roles:
            return {}
        return self.model(role).get("source", {}).get("config") or {}

    def formats(self, role: str) -> set[str]:
        return {entry["format"] for entry in self.model(role)["files"].values()}

    def model_file(self, role: str, fmt: str, precision: str, device: str) -> ModelFile:
        """The verified file of `role` in `fmt` at the precision chosen for `device`."""
        model = self.model(role)
        chosen = choose_precision(model["files"], precision, device, fmt, model.get("precision_fallback"))
        found = self.find_file(role, fmt, chosen)
        if found is None:
            raise BundleError(f"bundle {self.root} has no {fmt} {chosen} file for the {role}")
        return found

    def find_file(self, role: str, fmt: str, precision: str) -> ModelFile | None:
        """The verified file of `role` in exactly `fmt` and `precision` (no device policy),
        or None when the bundle has none."""
        model = self.model(role)
        variants = [(key, entry) for key, entry in model["files"].items()
                    if entry["format"] == fmt and entry["precision"] == precision]
        if not variants:
            return None
        # Prefer the variant named after its precision ("int8"), the bundle's convention.
        variant, entry = sorted(variants, key=lambda item: item[0] != precision)[0]
        return ModelFile(path=verify_file(self.root, entry), variant=variant, entry=entry, model=model)

    def thresholds(self, overrides: dict | None = None) -> Thresholds:
        """Its models' stored thresholds over the defaults, with a caller's `overrides` (checked)."""
        return Thresholds.of(*(stored_thresholds(self.model(role)) for role in self.roles), overrides=overrides)
