"""Audio queries from audio embeddings (paper eq. 1-3)."""
import torch.nn as nn
from torch import Tensor

from .attention import MultiHeadAttention

__all__ = ['AudioQueryEncoder']


class AudioQueryEncoder(nn.Module):
    """Disentangles ``T`` audio embeddings into ``N`` audio queries.

    Eq. 1: ``A_q^0 = W_1 F_a`` with ``W_1 in R^{N x T}`` mixing the ``T`` embeddings
    ``F_a in R^{T x 128}`` into ``N`` queries, then a linear map ``128 -> d``.
    Eq. 2-3: ``N_1`` self-attention layers ``A^{n+1} = Atten(A^n W_Q, A^n W_K, A^n W_V) + A^n``,
    each followed by a LayerNorm (our addition, as in Mask2Former's attention layers; it
    keeps the residual stream's scale fixed).

    Args:
        num_queries (int): ``N``.
        num_audio_tokens (int): ``T``, embeddings per query set (the clip length in
            per-clip mode, 1 in per-frame mode).
        audio_dims (int): embedding width (VGGish: 128).
        embed_dims (int): model width ``d``.
        num_layers (int): ``N_1``.
        num_heads (int): attention heads.
        dropout (float): attention dropout.
    """

    def __init__(self,
                 num_queries: int,
                 num_audio_tokens: int,
                 audio_dims: int = 128,
                 embed_dims: int = 256,
                 num_layers: int = 2,
                 num_heads: int = 8,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.num_queries = num_queries
        self.num_audio_tokens = num_audio_tokens
        self.mix = nn.Linear(num_audio_tokens, num_queries)  # W_1 (with a bias per query)
        self.proj = nn.Linear(audio_dims, embed_dims)
        self.attns = nn.ModuleList(
            MultiHeadAttention(embed_dims, num_heads, dropout)
            for _ in range(num_layers))
        self.norms = nn.ModuleList(nn.LayerNorm(embed_dims) for _ in range(num_layers))

    def forward(self, audio_feat: Tensor) -> Tensor:
        """Builds the queries.

        Args:
            audio_feat (Tensor): ``[B', T', 128]`` audio embeddings, ``T' = num_audio_tokens``.

        Returns:
            Tensor: ``[B', N, d]`` audio queries ``A_q = A_q^{N_1}``.
        """
        if audio_feat.shape[1] != self.num_audio_tokens:
            raise ValueError(f'AudioQueryEncoder expects {self.num_audio_tokens} audio '
                             f'embeddings per query set, got {audio_feat.shape[1]}')
        # eq. 1: [B', T', 128] -> [B', 128, T'] -> W_1 -> [B', 128, N] -> [B', N, 128]
        queries = self.mix(audio_feat.transpose(1, 2)).transpose(1, 2)
        queries = self.proj(queries)  # [B', N, d]
        for attn, norm in zip(self.attns, self.norms):  # eq. 2-3
            queries = norm(queries + attn(queries, queries, queries))
        return queries
