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
from artifactsdk.rectify.inpainters.diffusion import DiffusionInpainter
from artifactsdk.rectify.inpainters.patchmatch import PatchMatchInpainter
from artifactsdk.rectify.inpainters.restorer import RestorerInpainter
from artifactsdk.rectify.inpainters.telea import TeleaInpainter

# Chosen by measurement: eval-fix --count 200 --inpainter patchmatch --inpainter diffusion on
# held-out synthetic images (seed 90210, with clean originals), the second default bundle
# finding the regions. Unrepaired inside the true regions: 17.35 dB, SSIM 0.691; detected
# artifact area 8.00 % before. After one round:
#   patchmatch 18.57 dB (+1.22), SSIM 0.679, area 3.36 % (-58 %), 0.80 s/image
#   harmonic   18.89 dB (+1.55), SSIM 0.698, area 11.41 % (+43 %), 0.13 s/image
#   Telea      17.92 dB (+0.57), SSIM 0.681, area 12.00 % (+50 %), 0.11 s/image
# Smooth fills score a little more PSNR against the lost pixels but look like the blur
# artifacts the segmenter was trained on, so the detector finds more artifact area after
# them than before. The exemplar fill is the only one that leaves fewer artifacts, and it
# beats Telea on PSNR: it is the default. (Truth regions, 100 images: harmonic 19.07 dB,
# restorer 19.00, patchmatch 18.41, Telea 17.74; the restorer keeps gross artifacts it was
# not trained on, a flat red square or loud noise, nearly intact.)
# Since fix_image puts back every window whose detected area did not shrink, the same 200
# images give: patchmatch 18.66 dB (+1.31), SSIM 0.689, area 2.77 % (-65 %), 0.74 s/image;
# Telea 17.70 dB (+0.35), area 7.50 % (-6 %). With the third default bundle finding the
# regions: patchmatch 18.92 dB (+1.57), area 7.89 % -> 2.00 % (-75 %); Telea +0.24, -3 %.
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
            from artifactsdk.rectify.inpainters.diffusers_pipeline import DiffusersInpainter
            return DiffusersInpainter(path)
        from artifactsdk.rectify.inpainters.torchscript import TorchScriptInpainter
        return TorchScriptInpainter(path)
    raise InvalidInputError(f"unknown inpainter {spec!r}; expected one of: {', '.join(CHOICES)}")


__all__ = ["BUILTIN", "CHOICES", "Inpainter", "get_inpainter"]
