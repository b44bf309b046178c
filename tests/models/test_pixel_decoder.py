"""AVSPixelDecoder: scales, strides and the eq. 7 shortcut."""
import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS


def _feats(size=64, channels=(16, 32, 64, 128), frames=2):
    return [torch.randn(frames, c, size // s, size // s)
            for c, s in zip(channels, (4, 8, 16, 32))]


@pytest.mark.parametrize('out_strides', [(8, 4, 2), (32, 16, 8), (16, 8, 4), (4, 2, 1)])
def test_output_strides(out_strides):
    dec = MODELS.build(dict(type='AVSPixelDecoder', in_channels=[16, 32, 64, 128],
                            feat_channels=32, out_strides=out_strides,
                            norm_cfg=dict(type='GN', num_groups=8)))
    outs, mask_feat = dec(_feats())
    assert [tuple(o.shape) for o in outs] == [(2, 32, 64 // s, 64 // s) for s in out_strides]
    assert mask_feat is outs[-1]
    assert dec.mask_stride == out_strides[-1]


def test_invalid_strides():
    with pytest.raises(ValueError, match='coarse to fine'):
        MODELS.build(dict(type='AVSPixelDecoder', in_channels=[16, 32, 64, 128],
                          out_strides=(2, 4, 8)))
    with pytest.raises(ValueError, match='out stride 3'):
        MODELS.build(dict(type='AVSPixelDecoder', in_channels=[16, 32, 64, 128],
                          out_strides=(8, 4, 3)))


def test_eq7_on_upsampled_features_equals_upsampled_logits():
    """sigmoid(F_av W2 f4) with f4 = bilinear(f3) equals upsampling the stride-2 logits."""
    torch.manual_seed(0)
    f3 = torch.randn(2, 16, 8, 8)
    w2 = torch.nn.Conv2d(16, 12, 1)
    queries = torch.randn(2, 5, 12)
    f4 = F.interpolate(f3, size=(16, 16), mode='bilinear', align_corners=False)
    full = torch.einsum('fnd,fdhw->fnhw', queries, w2(f4))
    coarse = torch.einsum('fnd,fdhw->fnhw', queries, w2(f3))
    up = F.interpolate(coarse, size=(16, 16), mode='bilinear', align_corners=False)
    torch.testing.assert_close(up, full, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('out_strides', [(8, 4, 2), (32, 16, 8)])
def test_every_parameter_gets_a_gradient(out_strides):
    """Unused pyramid levels must not leave parameters without gradients (DDP)."""
    dec = MODELS.build(dict(type='AVSPixelDecoder', in_channels=[16, 32, 64, 128],
                            feat_channels=32, out_strides=out_strides,
                            norm_cfg=dict(type='GN', num_groups=8)))
    outs, _ = dec(_feats())
    sum(o.mean() for o in outs).backward()
    assert all(p.grad is not None for p in dec.parameters())
