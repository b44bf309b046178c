"""Sine positional encoding of 2D feature maps (DETR / Mask2Former)."""
import math

import torch
import torch.nn as nn
from torch import Tensor

__all__ = ['SinePositionalEncoding2D']


class SinePositionalEncoding2D(nn.Module):
    """Fixed sine/cosine encoding of normalised (y, x) positions.

    Args:
        num_feats (int): channels per axis; the output has ``2 * num_feats`` channels.
        temperature (float): wavelength base. Defaults to 10000.
        scale (float): range of the normalised positions. Defaults to ``2 * pi``.
    """

    def __init__(self,
                 num_feats: int,
                 temperature: float = 10000.,
                 scale: float = 2 * math.pi) -> None:
        super().__init__()
        self.num_feats = num_feats
        self.temperature = temperature
        self.scale = scale

    def forward(self, height: int, width: int, device=None, dtype=torch.float32) -> Tensor:
        """Encodes an ``height x width`` grid.

        Returns:
            Tensor: ``[1, 2 * num_feats, height, width]``.
        """
        eps = 1e-6
        y = torch.arange(1, height + 1, device=device, dtype=torch.float32)
        x = torch.arange(1, width + 1, device=device, dtype=torch.float32)
        y = (y / (height + eps) * self.scale)[:, None].expand(height, width)
        x = (x / (width + eps) * self.scale)[None, :].expand(height, width)
        dim_t = torch.arange(self.num_feats, device=device, dtype=torch.float32)
        dim_t = self.temperature**(2 * (dim_t // 2) / self.num_feats)
        pos_x = x[..., None] / dim_t  # [h, w, num_feats]
        pos_y = y[..., None] / dim_t
        pos_x = torch.stack((pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()), dim=3).flatten(2)
        pos_y = torch.stack((pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()), dim=3).flatten(2)
        pos = torch.cat((pos_y, pos_x), dim=2).permute(2, 0, 1)  # [2 * num_feats, h, w]
        return pos[None].to(dtype)
