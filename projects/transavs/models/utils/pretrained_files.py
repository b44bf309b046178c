"""Pretrained weights named by a config must be there: a missing file stops the run at start.

A mistyped path in an 8-GPU, 90k-iteration run must not train from random weights. Before
``init_weights`` loads anything, :func:`check_pretrained_files` looks at every
``init_cfg=dict(type='Pretrained', checkpoint=...)`` of the model: a local file that does not
exist is an error naming the module, the path and where to get the file. Nothing is
downloaded to check: URLs (``http(s)://``, ``torchvision://``) are fetched by mmengine's
loader when the weights are loaded, and fail there if they cannot be.

Random initialisation is what a config asks for explicitly with ``init_cfg=None`` (as the
tiny and demo configs do).
"""
import os.path as osp
from typing import List, Tuple

import torch.nn as nn

__all__ = ['PRETRAINED_SOURCES', 'missing_pretrained_files', 'check_pretrained_files']

#: Where to get the local pretrained files our configs name (by file name).
PRETRAINED_SOURCES = {
    'pvt_v2_b5_mmseg.pth':
    'download pvt_v2_b5.pth from the PVT-v2 releases (github.com/whai362/PVT) and convert '
    'it with '
    '`python tools/model_converters/pvt_v2_to_mmseg.py pvt_v2_b5.pth '
    'pretrained/pvt_v2_b5_mmseg.pth`',
}


def _pretrained_checkpoints(init_cfg) -> List[str]:
    cfgs = [init_cfg] if isinstance(init_cfg, dict) else list(init_cfg or [])
    return [cfg['checkpoint'] for cfg in cfgs
            if cfg.get('type') == 'Pretrained' and cfg.get('checkpoint') is not None]


def missing_pretrained_files(model: nn.Module) -> List[Tuple[str, str, str]]:
    """The local ``Pretrained`` checkpoints of a model that do not exist.

    Args:
        model (nn.Module): the model, before ``init_weights``.

    Returns:
        list[tuple[str, str, str]]: ``(module name, module class, checkpoint path)``.
    """
    missing = []
    for name, module in model.named_modules():
        for checkpoint in _pretrained_checkpoints(getattr(module, 'init_cfg', None)):
            if '://' not in checkpoint and not osp.isfile(osp.expanduser(checkpoint)):
                missing.append((name or '<model>', type(module).__name__, checkpoint))
    return missing


def check_pretrained_files(model: nn.Module) -> None:
    """Raises when a local ``Pretrained`` checkpoint of the model does not exist.

    Args:
        model (nn.Module): the model, before ``init_weights``.

    Raises:
        FileNotFoundError: naming, for each missing file, the module, the path as written
            and as resolved from the working directory, and where to get the file.
    """
    missing = missing_pretrained_files(model)
    if not missing:
        return
    lines = []
    for name, kind, checkpoint in missing:
        source = PRETRAINED_SOURCES.get(
            osp.basename(checkpoint),
            'see docs/en/user_guides/1_dataset_prepare.md, "Pretrained weights"')
        lines.append(f'- {name} ({kind}): {checkpoint!r} (resolved to '
                     f'{osp.abspath(osp.expanduser(checkpoint))}); expected the file '
                     f'{osp.basename(checkpoint)}: {source}')
    raise FileNotFoundError(
        'pretrained weights named in the config are missing, so training would start from '
        'random weights:\n' + '\n'.join(lines) + '\nPut the file there or fix the path in '
        "the config; set the module's init_cfg=None to train it from random weights on "
        'purpose.')
