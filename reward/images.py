"""A batch of images in the forms RL trainers and generators hand over -> one item per image
that `Detector.decode` reads.

Torch tensors are read through their own methods (`detach`, `float`, `cpu`, `numpy`), so
this module never imports torch: a caller that passes a tensor has imported it already.
"""

from __future__ import annotations

import os

import numpy as np

from artifactsdk.errors import InvalidInputError

CHANNELS = 3


def is_tensor(value) -> bool:
    return type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach")


def tensor_to_numpy(tensor) -> np.ndarray:
    """Any torch tensor (any device, any float or integer dtype) -> a numpy array on the CPU."""
    tensor = tensor.detach()
    if tensor.is_floating_point():
        tensor = tensor.float()  # numpy has no bfloat16
    return tensor.cpu().numpy()


def split_batch(images) -> list:
    """One item per image. A 4-D tensor or array is a batch (NCHW float in [0, 1], or NHWC);
    a 3-D one is a single image (CHW or HWC); a list or tuple holds one image per entry;
    a PIL image, a path or bytes is a batch of one."""
    if is_tensor(images):
        images = tensor_to_numpy(images)
    if isinstance(images, np.ndarray):
        if images.ndim == 4:
            return [channels_last(image) for image in images]
        return [channels_last(images)]
    if isinstance(images, (list, tuple)):
        return [channels_last(tensor_to_numpy(item)) if is_tensor(item)
                else channels_last(item) if isinstance(item, np.ndarray) else item for item in images]
    if isinstance(images, (str, os.PathLike, bytes, bytearray, memoryview)) or hasattr(images, "getpixel"):
        return [images]
    raise InvalidInputError(f"cannot read a batch of images from a {type(images).__name__}; expected a torch "
                            "tensor or numpy array (NCHW float in [0, 1] or NHWC uint8), or a list of tensors, "
                            "arrays, PIL images, paths or encoded bytes.")


def channels_last(image: np.ndarray) -> np.ndarray:
    """CHW -> HWC when the channels come first (HxW and HWC pass through unchanged); when
    both ends could be channels (a 3x?x3 image), float is read as CHW and integers as HWC."""
    if image.ndim != 3:
        return image
    first, last = image.shape[0] == CHANNELS, image.shape[-1] == CHANNELS
    if first and (not last or image.dtype.kind == "f"):
        return np.moveaxis(image, 0, -1)
    return image
