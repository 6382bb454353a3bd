"""A LaMa-style TorchScript inpainter brought by the user.

Contract (that of the LaMa TorchScript exports): `module(image, mask) -> image`, with
image a 1x3xHxW float RGB tensor in [0, 1], mask 1x1xHxW float (1 = repaint), H and W
multiples of 8, and the output 1x3xHxW in [0, 1].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from artifactsdk.errors import InvalidInputError
import artifactsdk.rectify.dependencies as dependencies
from artifactsdk.rectify.inpainters.base import Inpainter
from artifactsdk.rectify.inpainters.padding import pad_to_multiple
from artifactsdk.rectify.inpainters.tensors import to_image, to_tensors


class TorchScriptInpainter(Inpainter):
    name = "torchscript"
    working_size = 512
    upscale = True
    multiple = 8

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise InvalidInputError(f"torchscript:{path}: no such file; expected a TorchScript module saved "
                                    "with torch.jit.save (image, mask) -> image")
        self._modules: dict[str, object] = {}

    def module(self, device):
        """The scripted module, loaded once per device."""
        torch = dependencies.torch()
        key = str(device)
        if key not in self._modules:
            try:
                module = torch.jit.load(str(self.path), map_location=device)
            except RuntimeError as error:
                raise InvalidInputError(f"{self.path}: not a TorchScript module torch.jit.load can read "
                                        f"({str(error).splitlines()[0]})") from error
            self._modules[key] = module.eval()
        return self._modules[key]

    def _inpaint(self, image: np.ndarray, mask: np.ndarray, device) -> np.ndarray:
        torch = dependencies.torch()
        torch_device = dependencies.resolve_device(device)
        height, width = mask.shape
        padded, padded_mask = pad_to_multiple(image, mask, self.multiple)
        with torch.inference_mode():
            pixels, hole = to_tensors(padded, padded_mask, torch_device)
            output = self.module(torch_device)(pixels, hole)
        if not hasattr(output, "shape") or tuple(output.shape) != tuple(pixels.shape):
            raise InvalidInputError(f"{self.path}: expected the module to return a {tuple(pixels.shape)} "
                                    f"image tensor, found {getattr(output, 'shape', type(output).__name__)}")
        return to_image(output.float())[:height, :width]
