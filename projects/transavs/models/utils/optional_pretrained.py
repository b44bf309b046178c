"""Pretrained weights that are optional: a loud warning instead of a crash when absent."""
import os.path as osp
from typing import List

import torch.nn as nn
from mmengine.logging import print_log

__all__ = ['checkpoint_available', 'drop_unavailable_pretrained']


def checkpoint_available(checkpoint: str) -> bool:
    """Whether a ``Pretrained`` checkpoint can be loaded here.

    Local paths must exist; ``http(s)://`` and ``torchvision://`` checkpoints are fetched
    into torch hub's cache (once), and count as available only if that succeeds.

    Args:
        checkpoint (str): path or URL as in ``init_cfg=dict(type='Pretrained', ...)``.

    Returns:
        bool
    """
    if '://' not in checkpoint:
        return osp.isfile(osp.expanduser(checkpoint))
    from ...engine.safe_checkpoint import _download
    url = checkpoint
    if checkpoint.startswith(('torchvision://', 'modelzoo://')):
        from mmengine.runner.checkpoint import get_torchvision_models
        url = get_torchvision_models().get(checkpoint.split('://', 1)[1])
        if url is None:
            return False
    if not url.startswith(('http://', 'https://')):
        return True  # other mmengine schemes (open-mmlab://, s3://): let mmengine decide
    try:
        _download(url, None, progress=True)
        return True
    except Exception as err:  # no network, 404, ...
        print_log(f'could not fetch {url}: {err}', logger='current', level=30)
        return False


def drop_unavailable_pretrained(model: nn.Module) -> List[str]:
    """Removes ``Pretrained`` init configs whose checkpoint cannot be loaded, with a warning.

    Every (sub)module's ``init_cfg`` of type ``'Pretrained'`` is checked with
    :func:`checkpoint_available`; unavailable ones are dropped so that ``init_weights``
    falls back to random initialisation instead of crashing.

    Args:
        model (nn.Module): the model, before ``init_weights``.

    Returns:
        list[str]: the dropped checkpoints.
    """
    dropped = []
    for name, module in model.named_modules():
        init_cfg = getattr(module, 'init_cfg', None)
        if not init_cfg:
            continue
        cfgs = [init_cfg] if isinstance(init_cfg, dict) else list(init_cfg)
        keep = []
        for cfg in cfgs:
            ckpt = cfg.get('checkpoint') if cfg.get('type') == 'Pretrained' else None
            if ckpt is not None and not checkpoint_available(ckpt):
                dropped.append(ckpt)
                print_log(
                    f'Pretrained weights of {name or type(module).__name__} '
                    f'({type(module).__name__}) are not available at {ckpt!r}: that part '
                    'of the model starts from RANDOM weights. Download the file (see '
                    'README) and point the config at it to train as in the paper.',
                    logger='current',
                    level=30)
            else:
                keep.append(cfg)
        if len(keep) != len(cfgs):
            module.init_cfg = (keep[0] if len(keep) == 1 and isinstance(init_cfg, dict)
                               else keep or None)
    return dropped
