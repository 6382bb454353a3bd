"""The built-in learned inpainter: a small U-Net trained here on the synthetic engine's
clean originals (artifactsdk.training.restorer_recipe). Unlike a blind inpainter it also
sees what the artifact left in the hole, so it can keep the structure that survived
(a darkened or blurred region) and replace what did not (a pasted duplicate).

It starts from the harmonic fill and predicts, per pixel, a gate between the region's
own pixels and that fill plus a small colour correction:
    out = gate * image + (1 - gate) * fill + correction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from artifactsdk.errors import BundleError
from artifactsdk.rectify import dependencies
from artifactsdk.rectify.inpainters.base import Inpainter
from artifactsdk.rectify.inpainters.diffusion import harmonic_fill
from artifactsdk.rectify.inpainters.padding import pad_to_multiple
from artifactsdk.rectify.inpainters.tensors import to_image, to_tensors

WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "restorer.pt"
WIDTHS = (16, 32, 64, 96)
FILL_SWEEPS = 40


def build_network(widths: tuple[int, ...] = WIDTHS):
    """The U-Net (a torch module); inputs image, hole and fill, each NxCxHxW in [0, 1]."""
    torch = dependencies.torch()
    nn = torch.nn

    def block(cin: int, cout: int):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.LeakyReLU(0.1),
                             nn.Conv2d(cout, cout, 3, padding=1), nn.LeakyReLU(0.1))

    class RestorerNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.ModuleList([block(7, widths[0])] + [block(widths[i - 1], widths[i])
                                                               for i in range(1, len(widths))])
            self.up = nn.ModuleList([block(widths[i + 1] + widths[i], widths[i]) for i in range(len(widths) - 1)])
            self.head = nn.Conv2d(widths[0], 4, 1)

        def forward(self, image, hole, fill):
            features, skips = torch.cat([image, hole, fill], dim=1), []
            for index, layer in enumerate(self.down):
                if index:
                    features = nn.functional.avg_pool2d(features, 2)
                features = layer(features)
                skips.append(features)
            for index in reversed(range(len(self.up))):
                features = nn.functional.interpolate(features, scale_factor=2.0, mode="bilinear",
                                                     align_corners=False)
                features = self.up[index](torch.cat([features, skips[index]], dim=1))
            out = self.head(features)
            gate = torch.sigmoid(out[:, :1])
            correction = 0.25 * torch.tanh(out[:, 1:])
            painted = gate * image + (1 - gate) * fill + correction
            return image * (1 - hole) + painted.clamp(0, 1) * hole

    return RestorerNet()


def downsampling_factor(widths: tuple[int, ...] = WIDTHS) -> int:
    return 2 ** (len(widths) - 1)


class RestorerInpainter(Inpainter):
    name = "restorer"
    working_size = 256
    upscale = False

    def __init__(self, weights: str | Path = WEIGHTS):
        self.weights = Path(weights)
        self._networks: dict[str, object] = {}

    def network(self, device):
        key = str(device)
        if key not in self._networks:
            torch = dependencies.torch()
            if not self.weights.is_file():
                raise BundleError(f"{self.weights}: the built-in restorer's weights are missing; reinstall "
                                  "artifactsdk or retrain them with python -m artifactsdk.training.restorer_recipe")
            network = build_network()
            network.load_state_dict(torch.load(self.weights, map_location="cpu", weights_only=True))
            self._networks[key] = network.to(device).eval()
        return self._networks[key]

    def _inpaint(self, image: np.ndarray, mask: np.ndarray, device) -> np.ndarray:
        torch = dependencies.torch()
        torch_device = dependencies.resolve_device(device)
        height, width = mask.shape
        padded, padded_mask = pad_to_multiple(image, mask, downsampling_factor())
        with torch.inference_mode():
            pixels, hole = to_tensors(padded, padded_mask, torch_device)
            fill = harmonic_fill(pixels, hole, FILL_SWEEPS)
            return to_image(self.network(torch_device)(pixels, hole, fill))[:height, :width]
