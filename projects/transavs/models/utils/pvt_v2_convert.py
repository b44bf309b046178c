"""Official PVT-v2 checkpoints -> mmseg's MixVisionTransformer keys.

PVT-v2 (Wang et al., 2022; the AVSBench baseline's ``pvt_v2_b5.pth``) and mmseg's
``MixVisionTransformer`` (SegFormer's MiT) are the same network: overlapping patch
embeddings, spatial-reduction attention, and a feed-forward with a 3x3 depth-wise conv.
Only parameter names and the query/key-value split differ.
"""
import re
from collections import OrderedDict
from typing import Dict

import torch
from torch import Tensor

__all__ = ['convert_pvt_v2_to_mmseg']


def convert_pvt_v2_to_mmseg(state_dict: Dict[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """Renames (and reshapes) an official PVT-v2 state dict for ``MixVisionTransformer``.

    ``patch_embed{i}`` -> ``layers.{i-1}.0`` (``proj`` -> ``projection``);
    ``block{i}.{j}`` -> ``layers.{i-1}.1.{j}`` with ``attn.q`` + ``attn.kv`` concatenated
    into ``attn.attn.in_proj_*``, ``attn.proj`` -> ``attn.attn.out_proj``, and the MLP's
    ``fc1`` / ``dwconv.dwconv`` / ``fc2`` -> ``ffn.layers.0 / 1 / 4`` (linear weights become
    1x1 conv weights); ``norm{i}`` -> ``layers.{i-1}.2``; the classifier ``head`` is dropped.

    Args:
        state_dict (dict): official PVT-v2 weights (optionally under ``'state_dict'`` or
            ``'model'``).

    Returns:
        OrderedDict: weights for ``mmseg.models.backbones.MixVisionTransformer``.

    Raises:
        KeyError: a key that is not part of PVT-v2.
    """
    for wrapper in ('state_dict', 'model'):
        if wrapper in state_dict and isinstance(state_dict[wrapper], dict):
            state_dict = state_dict[wrapper]
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('head.'):
            continue
        match = re.match(r'^patch_embed(\d+)\.(proj|norm)\.(weight|bias)$', key)
        if match:
            stage, part, kind = int(match.group(1)) - 1, match.group(2), match.group(3)
            part = 'projection' if part == 'proj' else 'norm'
            out[f'layers.{stage}.0.{part}.{kind}'] = value
            continue
        match = re.match(r'^norm(\d+)\.(weight|bias)$', key)
        if match:
            out[f'layers.{int(match.group(1)) - 1}.2.{match.group(2)}'] = value
            continue
        match = re.match(r'^block(\d+)\.(\d+)\.(.+)$', key)
        if not match:
            raise KeyError(f'unexpected key {key!r} in a PVT-v2 checkpoint')
        prefix = f'layers.{int(match.group(1)) - 1}.1.{match.group(2)}.'
        rest = match.group(3)
        if rest.startswith('attn.kv.'):
            continue  # merged with attn.q below
        if rest.startswith('attn.q.'):
            kind = rest.split('.')[-1]
            kv = state_dict[key.replace('attn.q.', 'attn.kv.')]
            out[prefix + f'attn.attn.in_proj_{kind}'] = torch.cat([value, kv], dim=0)
        elif rest.startswith('attn.proj.'):
            out[prefix + 'attn.attn.out_proj.' + rest.split('.')[-1]] = value
        elif rest.startswith(('attn.sr.', 'attn.norm.', 'norm1.', 'norm2.')):
            out[prefix + rest] = value
        elif rest.startswith('mlp.'):
            layer = {'fc1': '0', 'dwconv': '1', 'fc2': '4'}[rest.split('.')[1]]
            kind = rest.split('.')[-1]
            if layer in ('0', '4') and kind == 'weight':
                value = value[:, :, None, None]  # linear -> 1x1 conv
            out[prefix + f'ffn.layers.{layer}.{kind}'] = value
        else:
            raise KeyError(f'unexpected key {key!r} in a PVT-v2 checkpoint')
    return out
