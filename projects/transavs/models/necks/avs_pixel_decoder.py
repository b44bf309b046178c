"""Pixel decoder: three visual scales of one width, plus the mask features (paper 2.2.1)."""
from typing import List, Optional, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule
from mmseg.models.necks import FPN
from mmseg.registry import MODELS
from torch import Tensor

__all__ = ['AVSPixelDecoder']


@MODELS.register_module()
class AVSPixelDecoder(BaseModule):
    """Turns backbone features into ``F_v = {f_v^1, f_v^2, f_v^3}`` and mask features.

    The backbone's pyramid (e.g. strides 4, 8, 16, 32) goes through mmseg's
    :class:`~mmseg.models.necks.FPN` (one width ``C``). Output strides present in the
    pyramid are taken from it; strides finer than the pyramid's finest (the paper's stride
    2) are made by 2x bilinear upsampling followed by a depth-wise separable conv (spatial
    mixing at a fraction of a full conv's cost: a full 3x3 conv at stride 2 with 256 channels
    would cost 1.8x a ResNet-50 at 224x224; this costs 0.2x). The paper's default
    ``out_strides=(8, 4, 2)`` gives ``f_v^i`` at ``H / 2^(4-i)``.

    The finest output ``f_v^3`` is also the mask feature: the paper's full-resolution
    ``f_v^4`` is ``f_v^3`` upsampled, and because the mask projection ``W_2`` (1x1) and the
    dot product of eq. 7 are linear, computing mask logits on ``f_v^3`` and upsampling them
    bilinearly is exactly eq. 7 on a bilinearly upsampled ``f_v^4``, at a fraction of the
    cost (the head does this).

    Args:
        in_channels (Sequence[int]): channels of the backbone outputs used.
        in_strides (Sequence[int]): their strides, e.g. ``(4, 8, 16, 32)``.
        feat_channels (int): the common width ``C``. Defaults to 256.
        out_strides (Sequence[int]): strides of ``f_v^1..f_v^3``, coarse to fine.
        upsample_kernel_size (int): kernel of the depth-wise conv after each 2x upsampling
            (1: a point-wise conv only). Defaults to 3.
        norm_cfg (dict): norm of the FPN and the upsampling convs.
        act_cfg (dict): activation of the upsampling convs.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 in_strides: Sequence[int] = (4, 8, 16, 32),
                 feat_channels: int = 256,
                 out_strides: Sequence[int] = (8, 4, 2),
                 upsample_kernel_size: int = 3,
                 norm_cfg: dict = dict(type='GN', num_groups=32, requires_grad=True),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(in_strides):
            raise ValueError(f'AVSPixelDecoder: {len(in_channels)} in_channels for '
                             f'{len(in_strides)} in_strides')
        if list(in_strides) != sorted(in_strides):
            raise ValueError(f'AVSPixelDecoder: in_strides must increase, got {in_strides}')
        if list(out_strides) != sorted(out_strides, reverse=True):
            raise ValueError('AVSPixelDecoder: out_strides must go from coarse to fine, '
                             f'got {out_strides}')
        finest = in_strides[0]
        for s in out_strides:
            ok = s in in_strides or (s < finest and finest % s == 0 and
                                     ((finest // s) & (finest // s - 1)) == 0)
            if not ok:
                raise ValueError(
                    f'AVSPixelDecoder: out stride {s} is neither a backbone stride '
                    f'{tuple(in_strides)} nor the finest one divided by a power of 2')
        self.in_strides = tuple(in_strides)
        self.out_strides = tuple(out_strides)
        self.feat_channels = feat_channels
        # Pyramid levels finer than every output are left out (start_level); the 3x3
        # output convs of levels no output uses become identities. Both would cost time and
        # leave parameters without gradients, which DDP rejects.
        needed = set(out_strides) & set(in_strides)
        if min(out_strides) < finest:
            needed.add(finest)
        start = min(i for i, s in enumerate(in_strides) if s in needed)
        self.fpn = FPN(
            in_channels=list(in_channels),
            out_channels=feat_channels,
            num_outs=len(in_channels) - start,
            start_level=start,
            norm_cfg=norm_cfg)
        self.pyramid_strides = tuple(in_strides[start:])
        for level, stride in enumerate(self.pyramid_strides):
            if stride not in needed:
                self.fpn.fpn_convs[level] = nn.Identity()
        num_up = 0
        while finest >> num_up > min(out_strides):
            num_up += 1
        conv = DepthwiseSeparableConvModule if upsample_kernel_size > 1 else ConvModule
        self.upsample_convs = nn.ModuleList(
            conv(
                feat_channels,
                feat_channels,
                upsample_kernel_size,
                padding=upsample_kernel_size // 2,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg) for _ in range(num_up))

    @property
    def mask_stride(self) -> int:
        """Stride of the mask features (the finest output)."""
        return self.out_strides[-1]

    def forward(self, feats: Sequence[Tensor]) -> Tuple[List[Tensor], Tensor]:
        """Builds the scales.

        Args:
            feats (Sequence[Tensor]): backbone outputs ``[F, C_i, H / s_i, W / s_i]``.

        Returns:
            tuple: ``[f_v^1, f_v^2, f_v^3]`` (each ``[F, C, H / s, W / s]`` for
            ``s`` in ``out_strides``) and the mask features (``f_v^3``).
        """
        if len(feats) != len(self.in_strides):
            raise ValueError(f'AVSPixelDecoder expects {len(self.in_strides)} backbone '
                             f'outputs, got {len(feats)}')
        pyramid = dict(zip(self.pyramid_strides, self.fpn(list(feats))))
        stride = self.pyramid_strides[0]
        x = pyramid[stride]
        for conv in self.upsample_convs:
            x = conv(F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False))
            stride //= 2
            pyramid[stride] = x
        outs = [pyramid[s] for s in self.out_strides]
        return outs, outs[-1]
