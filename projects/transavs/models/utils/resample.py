"""Resampling mask maps to a stride of the network input."""
from typing import Tuple

import torch.nn.functional as F
from torch import Tensor

__all__ = ['resample_to_stride']


def resample_to_stride(x: Tensor, input_shape: Tuple[int, int], stride: int) -> Tensor:
    """Average-pools (or upsamples bilinearly) ``[..., C, h, w]`` maps to
    ``ceil(input_shape / stride)``; returns ``x`` itself when it has that size already."""
    size = (-(-input_shape[0] // stride), -(-input_shape[1] // stride))  # ceil division
    if tuple(x.shape[-2:]) == size:
        return x
    if x.shape[-2] > size[0]:
        return F.adaptive_avg_pool2d(x, size)
    return F.interpolate(x, size=size, mode='bilinear', align_corners=False)
