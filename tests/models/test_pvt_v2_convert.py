"""PVT-v2 -> MixVisionTransformer conversion: timm's independent PVT-v2 gives the same
features as mmseg's MiT loaded with the converted weights."""
import re

import pytest
import torch
from mmseg.models.backbones import MixVisionTransformer

from projects.transavs.models.utils import convert_pvt_v2_to_mmseg

timm = pytest.importorskip('timm')


def _timm_to_official(sd):
    """Inverse of timm's checkpoint filter: timm PVT-v2 keys -> the official release's."""
    out = {}
    for k, v in sd.items():
        k = k.replace('patch_embed.', 'patch_embed1.')
        k = re.sub(r'stages\.(\d+)\.downsample\.',
                   lambda m: f'patch_embed{int(m.group(1)) + 1}.', k)
        k = re.sub(r'stages\.(\d+)\.blocks\.', lambda m: f'block{int(m.group(1)) + 1}.', k)
        k = re.sub(r'stages\.(\d+)\.norm\.', lambda m: f'norm{int(m.group(1)) + 1}.', k)
        k = k.replace('mlp.dwconv.', 'mlp.dwconv.dwconv.')
        out[k] = v
    return out


def test_converted_weights_reproduce_pvt_v2():
    # A small PVT-v2 with the b5 design (mlp ratio 4 everywhere, as MiT has).
    from timm.models.pvt_v2 import PyramidVisionTransformerV2
    torch.manual_seed(0)
    ref = PyramidVisionTransformerV2(depths=(2, 1, 1, 1), embed_dims=(32, 64, 160, 256),
                                     num_heads=(1, 2, 5, 8), mlp_ratios=(4, 4, 4, 4),
                                     sr_ratios=(8, 4, 2, 1)).eval()
    official = _timm_to_official(ref.state_dict())
    assert 'block1.0.attn.kv.weight' in official and 'patch_embed4.proj.weight' in official
    mit = MixVisionTransformer(embed_dims=32, num_layers=[2, 1, 1, 1], num_heads=[1, 2, 5, 8],
                               sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3)).eval()
    missing, unexpected = mit.load_state_dict(convert_pvt_v2_to_mmseg(official), strict=True)
    assert not missing and not unexpected
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        y = ref.patch_embed(x)
        expected = []
        for stage in ref.stages:
            y = stage(y)
            expected.append(y)
        ours = mit(x)
    for a, b in zip(ours, expected):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_unknown_key_is_named():
    with pytest.raises(KeyError, match='decoder.weight'):
        convert_pvt_v2_to_mmseg({'decoder.weight': torch.zeros(1)})
