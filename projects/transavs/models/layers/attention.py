"""Multi-head attention (paper eq. 2) on torch's fused kernels."""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = ['MultiHeadAttention']


class MultiHeadAttention(nn.Module):
    """``softmax(Q K^T / sqrt(d_h)) V`` over ``num_heads`` heads, batch first.

    Eq. 2 of the paper, with the Q/K/V projections of eq. 3 and eq. 6 inside and an output
    projection. Positional embeddings are added to queries and keys only (DETR style).

    Args:
        embed_dims (int): model width ``d``.
        num_heads (int): number of heads (``d`` must be divisible by it).
        dropout (float): dropout on the attention weights during training.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by '
                             f'num_heads={num_heads}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(embed_dims, embed_dims)
        self.k_proj = nn.Linear(embed_dims, embed_dims)
        self.v_proj = nn.Linear(embed_dims, embed_dims)
        self.out_proj = nn.Linear(embed_dims, embed_dims)
        for proj in (self.q_proj, self.k_proj, self.v_proj, self.out_proj):
            nn.init.xavier_uniform_(proj.weight)
            nn.init.zeros_(proj.bias)

    def _split_heads(self, x: Tensor) -> Tensor:
        # [B, L, d] -> [B, heads, L, d / heads]
        return x.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)

    def forward(self,
                query: Tensor,
                key: Tensor,
                value: Tensor,
                query_pos: Optional[Tensor] = None,
                key_pos: Optional[Tensor] = None) -> Tensor:
        """Attends ``query`` to ``key``/``value``.

        Args:
            query (Tensor): ``[B, Lq, d]``.
            key (Tensor): ``[B, Lk, d]``.
            value (Tensor): ``[B, Lk, d]``.
            query_pos (Tensor, optional): broadcastable to ``query``.
            key_pos (Tensor, optional): broadcastable to ``key``.

        Returns:
            Tensor: ``[B, Lq, d]``.
        """
        q = self.q_proj(query if query_pos is None else query + query_pos)
        k = self.k_proj(key if key_pos is None else key + key_pos)
        v = self.v_proj(value)
        q, k, v = self._split_heads(q), self._split_heads(k), self._split_heads(v)
        drop = self.dropout if self.training else 0.0
        # torch picks a flash / memory-efficient kernel where one applies.
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=drop)  # [B, heads, Lq, d_h]
        return self.out_proj(out.transpose(1, 2).flatten(2))  # [B, Lq, d]
