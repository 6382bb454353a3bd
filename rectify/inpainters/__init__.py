"""Inpainters behind one interface, and the names the CLI and `fix_image` accept:

- ``builtin``: the default, chosen by measurement (see BUILTIN below);
- ``restorer``: a small U-Net trained here on the synthetic engine's clean originals (torch);
- ``diffusion``: coarse-to-fine harmonic fill (torch);
- ``patchmatch``: coarse-to-fine exemplar fill, patches copied from the surroundings (torch);
- ``telea``: OpenCV's fast-marching inpainting, the baseline;
- ``diffusers:DIR``: a diffusers inpainting pipeline saved in a local directory;
- ``torchscript:FILE``: a LaMa-style TorchScript module (image, mask) -> image.
"""

from __future__ import annotations

from artifactsdk.errors import InvalidInputError
from artifactsdk.rectify.inpainters.base import Inpainter
from artifactsdk.rectify.inpainters.diffusers_pipeline import DiffusersInpainter
from artifactsdk.rectify.inpainters.diffusion import DiffusionInpainter
from artifactsdk.rectify.inpainters.patchmatch import PatchMatchInpainter
from artifactsdk.rectify.inpainters.restorer import RestorerInpainter
from artifactsdk.rectify.inpainters.telea import TeleaInpainter
from artifactsdk.rectify.inpainters.torchscript import TorchScriptInpainter

# The exemplar fill is the default: smooth fills (harmonic, Telea) look like the blur
# artifacts the segmenter learned, so it finds more artifact after them than before, while
# patchmatch leaves less and beats Telea on PSNR (BENCHMARKS.md, "Defaults chosen by measurement").
BUILTIN = PatchMatchInpainter

_BY_NAME = {"builtin": BUILTIN, "restorer": RestorerInpainter, "diffusion": DiffusionInpainter,
            "patchmatch": PatchMatchInpainter, "telea": TeleaInpainter}
_WITH_PATH = ("diffusers", "torchscript")
CHOICES = (*_BY_NAME, *(f"{kind}:PATH" for kind in _WITH_PATH))


def get_inpainter(spec: str | Inpainter) -> Inpainter:
    """An Inpainter from its name (see the module docstring) or the instance itself."""
    if isinstance(spec, Inpainter):
        return spec
    if not isinstance(spec, str):
        raise InvalidInputError(f"an inpainter must be a name or an Inpainter, found {type(spec).__name__}")
    kind, _, path = spec.partition(":")
    if kind in _BY_NAME and not path:
        return _BY_NAME[kind]()
    if kind in _WITH_PATH and path:
        if kind == "diffusers":
            return DiffusersInpainter(path)
        return TorchScriptInpainter(path)
    raise InvalidInputError(f"unknown inpainter {spec!r}; expected one of: {', '.join(CHOICES)}")


__all__ = ["BUILTIN", "CHOICES", "Inpainter", "get_inpainter"]
