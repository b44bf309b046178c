"""MultiHeadAttention computes eq. 2 of the paper: softmax(Q K^T / sqrt(d_h)) V per head."""
import math

import pytest
import torch

from projects.transavs.models.layers import MultiHeadAttention


def _eq2(attn, query, key, value, query_pos, key_pos):
    """Eq. 2 written out: projections, per-head scaled dot products, softmax, output."""
    heads = attn.num_heads
    q = attn.q_proj(query + query_pos)  # [B, Lq, d]
    k = attn.k_proj(key + key_pos)  # [B, Lk, d]
    v = attn.v_proj(value)
    outs = []
    for h in range(heads):
        part = slice(h * q.shape[-1] // heads, (h + 1) * q.shape[-1] // heads)
        weights = (q[..., part] @ k[..., part].transpose(1, 2)) / math.sqrt(q.shape[-1] // heads)
        outs.append(weights.softmax(-1) @ v[..., part])  # [B, Lq, d_h]
    return attn.out_proj(torch.cat(outs, -1))


@pytest.mark.parametrize('heads', [1, 4])
def test_fused_kernel_equals_eq2(heads):
    torch.manual_seed(0)
    attn = MultiHeadAttention(32, heads).eval()
    query, key = torch.randn(2, 7, 32, requires_grad=True), torch.randn(2, 11, 32)
    value, query_pos, key_pos = torch.randn(2, 11, 32), torch.randn(7, 32), torch.randn(11, 32)
    out = attn(query, key, value, query_pos, key_pos)
    expected = _eq2(attn, query, key, value, query_pos, key_pos)
    assert out.shape == (2, 7, 32)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
    grad, = torch.autograd.grad(out.square().sum(), query)
    grad_expected, = torch.autograd.grad(expected.square().sum(), query)
    torch.testing.assert_close(grad, grad_expected, rtol=1e-4, atol=1e-6)


def test_dropout_only_in_training():
    torch.manual_seed(0)
    attn = MultiHeadAttention(16, 2, dropout=0.5)
    x = torch.randn(1, 5, 16)
    attn.eval()
    torch.testing.assert_close(attn(x, x, x), attn(x, x, x))
    attn.train()
    assert not torch.allclose(attn(x, x, x), attn(x, x, x))


def test_width_must_split_into_heads():
    with pytest.raises(ValueError, match='divisible'):
        MultiHeadAttention(30, 4)
