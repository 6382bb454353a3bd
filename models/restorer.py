"""The repair U-Net behind artifactsdk.rectify's built-in "restorer" inpainter.

It starts from a harmonic fill of the hole and predicts, per pixel, a gate between the
region's own pixels and that fill plus a small colour correction:
    out = gate * image + (1 - gate) * fill + correction.
Trained by artifactsdk.training.restorer_recipe; the shipped state dict is
artifactsdk-weights' ``restorer.pt``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from artifactsdk.errors import BundleError
from artifactsdk.models.checkpoint import shipped_weights

WIDTHS = (16, 32, 64, 96)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.LeakyReLU(0.1),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.LeakyReLU(0.1))


class RestorerNet(nn.Module):
    """Inputs image, hole and fill, each N x C x H x W in [0, 1]; H and W multiples of
    ``downsampling_factor()``."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS):
        super().__init__()
        self.down = nn.ModuleList([_block(7, widths[0])] + [_block(widths[i - 1], widths[i])
                                                            for i in range(1, len(widths))])
        self.up = nn.ModuleList([_block(widths[i + 1] + widths[i], widths[i]) for i in range(len(widths) - 1)])
        self.head = nn.Conv2d(widths[0], 4, 1)

    def forward(self, image, hole, fill):
        features, skips = torch.cat([image, hole, fill], dim=1), []
        for index, layer in enumerate(self.down):
            if index:
                features = nn.functional.avg_pool2d(features, 2)
            features = layer(features)
            skips.append(features)
        for index in reversed(range(len(self.up))):
            features = nn.functional.interpolate(features, scale_factor=2.0, mode="bilinear", align_corners=False)
            features = self.up[index](torch.cat([features, skips[index]], dim=1))
        out = self.head(features)
        gate = torch.sigmoid(out[:, :1])
        correction = 0.25 * torch.tanh(out[:, 1:])
        painted = gate * image + (1 - gate) * fill + correction
        return image * (1 - hole) + painted.clamp(0, 1) * hole


def downsampling_factor(widths: tuple[int, ...] = WIDTHS) -> int:
    return 2 ** (len(widths) - 1)


def shipped_restorer() -> Path:
    return shipped_weights() / "restorer.pt"


def load_restorer(weights: str | Path | None = None) -> RestorerNet:
    """The U-Net in eval mode with ``weights`` (a state dict; default: the shipped one)."""
    path = Path(weights) if weights is not None else shipped_restorer()
    if not path.is_file():
        raise BundleError(f"{path}: the restorer's weights are missing; reinstall artifactsdk-weights "
                          "or retrain them with python -m artifactsdk.training.restorer_recipe")
    network = RestorerNet()
    network.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return network.eval()
