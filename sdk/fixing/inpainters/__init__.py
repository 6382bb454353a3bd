"""Inpainters behind one interface, and the names the CLI and `Detector.fix` accept:

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
from artifactsdk.fixing.inpainters.base import Inpainter
from artifactsdk.fixing.inpainters.diffusion import DiffusionInpainter
from artifactsdk.fixing.inpainters.patchmatch import PatchMatchInpainter
from artifactsdk.fixing.inpainters.restorer import RestorerInpainter
from artifactsdk.fixing.inpainters.telea import TeleaInpainter

# Chosen by measurement (eval-fix --regions truth on held-out synthetic images, seed 90210).
# 226 images: harmonic fill 19.31 dB (0.23 s/image), Telea 17.81 dB, unrepaired 17.34 dB.
# 80 images: restorer 19.19 dB / SSIM 0.710, harmonic fill 19.01 / 0.667, unrepaired 17.84 / 0.688.
# The restorer scores as well but keeps gross artifacts it was not trained on (a flat red
# square, loud noise) nearly intact, so the robust harmonic fill is the default.
# 100 images, eval-fix --count 100 (unrepaired 17.54 dB / SSIM 0.688), truth regions:
# harmonic 19.07 / 0.664, restorer 19.00 / 0.709, patchmatch 18.41 / 0.628, Telea 17.74 / 0.637.
# Detected regions (area 10.70 % before): patchmatch 4.38 % after (-59 %), 18.46 dB; harmonic
# 15.63 % (+46 %), 19.06 dB; restorer 15.85 %, 18.56 dB; Telea 15.23 %, 18.01 dB. Only the
# exemplar fill shrinks what the detector sees, but it scores ~0.6 dB below the harmonic fill
# (copied texture is sharp but not the lost one) and takes ~1-2 s per 512 px image, so the
# harmonic fill stays the default; use ``patchmatch`` when the detector's verdict matters.
BUILTIN = DiffusionInpainter

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
            from artifactsdk.fixing.inpainters.diffusers_pipeline import DiffusersInpainter
            return DiffusersInpainter(path)
        from artifactsdk.fixing.inpainters.torchscript import TorchScriptInpainter
        return TorchScriptInpainter(path)
    raise InvalidInputError(f"unknown inpainter {spec!r}; expected one of: {', '.join(CHOICES)}")


__all__ = ["BUILTIN", "CHOICES", "Inpainter", "get_inpainter"]
