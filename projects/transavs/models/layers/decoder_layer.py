"""One audio-visual decoder layer (paper eq. 6, then self-attention and FFN)."""
from typing import Optional

import torch.nn as nn
from mmcv.cnn.bricks.transformer import FFN
from torch import Tensor

from .attention import MultiHeadAttention

__all__ = ['AudioVisualDecoderLayer']


class AudioVisualDecoderLayer(nn.Module):
    """Cross-attention from the queries to one visual scale, self-attention, FFN.

    Eq. 6: ``F_av^{l+1} = Atten(F_av^l W_Q, f_v^i W_K, f_v^i W_V) + F_av^l``; then, as in
    Mask2Former, self-attention among the queries and a feed-forward network, each with a
    residual connection and a post LayerNorm.

    Args:
        embed_dims (int): model width ``d``.
        num_heads (int): attention heads.
        feedforward_channels (int): FFN hidden width.
        dropout (float): attention and FFN dropout.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.cross_attn = MultiHeadAttention(embed_dims, num_heads, dropout)
        self.self_attn = MultiHeadAttention(embed_dims, num_heads, dropout)
        self.ffn = FFN(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            num_fcs=2,
            ffn_drop=dropout,
            act_cfg=dict(type='ReLU', inplace=True),
            add_identity=True)
        self.norms = nn.ModuleList(nn.LayerNorm(embed_dims) for _ in range(3))

    def forward(self,
                query: Tensor,
                feat: Tensor,
                query_pos: Optional[Tensor] = None,
                feat_pos: Optional[Tensor] = None) -> Tensor:
        """Updates the queries of each frame with that frame's features.

        Args:
            query (Tensor): ``[F, N, d]`` queries, one set per frame (``F = B*T``).
            feat (Tensor): ``[F, h*w, d]`` flattened visual features of one scale.
            query_pos (Tensor, optional): broadcastable to ``query``.
            feat_pos (Tensor, optional): broadcastable to ``feat``.

        Returns:
            Tensor: ``[F, N, d]``.
        """
        query = self.norms[0](query + self.cross_attn(query, feat, feat, query_pos, feat_pos))
        query = self.norms[1](query + self.self_attn(query, query, query, query_pos, query_pos))
        return self.norms[2](self.ffn(query))
