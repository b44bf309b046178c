"""Publishing a training checkpoint: the weights and plain metadata only, in one file that any
loader with ``weights_only=True`` accepts.

A checkpoint that mmengine's ``CheckpointHook`` wrote holds, beside ``state_dict`` and
``meta``, the optimizer and scheduler states and the ``message_hub``, whose mmengine
``HistoryBuffer`` objects and numpy scalars torch >= 2.6 refuses to unpickle by default.
So mmseg's own ``tools/test.py`` (a plain mmengine ``Runner``, which is what ``mim test``
runs), mmengine's ``load_checkpoint`` and ``torch.load(f, weights_only=True)`` cannot read
it; our tools can (:mod:`~projects.transavs.engine.safe_checkpoint` allows exactly those
globals). :func:`publish_checkpoint` writes what OpenMMLab's ``publish_model.py`` writes:

* ``state_dict`` with CPU tensors (refused if any weight is NaN or infinite: a diverged
  run's checkpoint is not published);
* ``meta`` with the plain-typed entries of the training ``meta`` (``dataset_meta``, the
  config text, versions, iteration, seed ...): numpy scalars and arrays become Python
  numbers and lists, tuples stay, and anything else that would need an allow-listed
  global is dropped with a warning naming the key;
* no ``optimizer``, ``param_schedulers`` or ``message_hub``;
* the file name ``{stem}-{first 8 hex digits of its sha256}.pth``, as OpenMMLab's model zoo
  names its files, so a download can be checked against its name.

The result is read back with plain ``torch.load(..., weights_only=True)`` (no extra globals)
before it is moved into place, and written atomically: an interrupted run leaves no file
under the final name.

Written here rather than calling mmseg's ``tools/misc/publish_model.py`` because that script
loads with torch's defaults (so it refuses the training checkpoints it is meant to publish on
torch >= 2.6) and keeps the rest of ``meta`` unchecked.
"""
import hashlib
import io
import logging
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import print_log

from .atomic_local_backend import atomic_write_bytes
from .safe_checkpoint import (
    NonFiniteCheckpointError,
    non_finite_keys,
    non_finite_message,
    safe_torch_load,
)

__all__ = ['publish_checkpoint', 'published_name', 'plain_meta']

#: Keys of a training checkpoint that a published one leaves out.
TRAINING_STATE_KEYS = ('optimizer', 'param_schedulers', 'message_hub')

#: How many hex digits of the file's sha256 go into its name (OpenMMLab's convention).
SHA_DIGITS = 8


def _plain(value: Any, key: str, dropped: List[str]) -> Tuple[bool, Any]:
    """``(True, value)`` as plain Python types, or ``(False, None)`` (``key`` is dropped)."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return True, value
    if isinstance(value, np.generic) and value.dtype.kind in 'biufU':
        return True, value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in 'biuf':
        return True, value.tolist()
    if isinstance(value, (list, tuple)):
        items = []
        for i, item in enumerate(value):
            ok, plain = _plain(item, f'{key}[{i}]', dropped)
            if not ok:
                return False, None
            items.append(plain)
        return True, type(value)(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, (str, int)):
                dropped.append(f'{key}[{k!r}] (a key of type {type(k).__name__})')
                continue
            ok, plain = _plain(v, f'{key}.{k}', dropped)
            if ok:
                out[k] = plain
            else:
                dropped.append(f'{key}.{k} ({type(v).__name__})')
        return True, out
    return False, None


def plain_meta(meta: Optional[Dict[str, Any]]) -> Tuple[Dict[str, Any], List[str]]:
    """The entries of a checkpoint's ``meta`` that plain unpickling can rebuild.

    Args:
        meta (dict, optional): the training checkpoint's ``meta``.

    Returns:
        tuple: the plain ``meta`` and the dotted names of the entries left out.
    """
    dropped: List[str] = []
    if not meta:
        return {}, dropped
    if not isinstance(meta, dict):
        return {}, [f'meta ({type(meta).__name__}, not a dict)']
    _, out = _plain(meta, 'meta', dropped)
    return out, dropped


def published_name(out_file: str, digest: str) -> str:
    """``out_file`` with ``-{digest[:8]}`` before its ``.pth`` suffix."""
    stem = out_file[:-len('.pth')] if out_file.endswith('.pth') else out_file
    return f'{stem}-{digest[:SHA_DIGITS]}.pth'


def _cpu_state_dict(state_dict: Dict[str, Any], in_file: str) -> 'OrderedDict[str, Any]':
    """The weights as CPU tensors; refuses non-tensors and non-finite weights."""
    out = OrderedDict()
    for name, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            raise ValueError(f'{in_file}: state_dict[{name!r}] is a {type(value).__name__}, '
                             'not a tensor; refusing to publish it')
        out[name] = value.detach().cpu()
    bad = non_finite_keys(out)
    if bad:
        raise NonFiniteCheckpointError(non_finite_message(in_file, bad))
    return out


def publish_checkpoint(in_file: str, out_file: str) -> str:
    """Writes the published form of ``in_file`` next to ``out_file`` and returns its path.

    Args:
        in_file (str): a checkpoint our training wrote (or any mmengine checkpoint with a
            ``state_dict``); it is read with restricted unpickling.
        out_file (str): the wanted name, e.g. ``transavs_r50_s4.pth``; the file written is
            ``transavs_r50_s4-<sha256[:8]>.pth`` beside it.

    Returns:
        str: the path of the published file.

    Raises:
        ValueError: ``in_file`` has no ``state_dict`` of tensors, holds non-finite weights,
            or ``out_file`` is ``in_file``.
        FileExistsError: a different file already has the published name.
    """
    if osp.abspath(in_file) == osp.abspath(out_file):
        raise ValueError(f'{out_file}: the output must differ from the input checkpoint')
    checkpoint = safe_torch_load(in_file, map_location='cpu')
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get('state_dict'), dict):
        found = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint)
        raise ValueError(f'{in_file}: expected a checkpoint dict with a "state_dict" of '
                         f'weights, found {found}')
    state_dict = _cpu_state_dict(checkpoint['state_dict'], in_file)
    meta, dropped = plain_meta(checkpoint.get('meta'))
    if dropped:
        print_log(f'{in_file}: meta entries left out of the published checkpoint (not plain '
                  f'types): {", ".join(dropped)}', logger='current', level=logging.WARNING)
    left_out = [k for k in checkpoint if k not in ('state_dict', 'meta')]
    if left_out:
        print_log(f'{in_file}: left out {", ".join(sorted(left_out))}', logger='current')

    buffer = io.BytesIO()
    torch.save({'meta': meta, 'state_dict': state_dict}, buffer)
    data = buffer.getvalue()
    # Plain torch, no allow-list: what mmseg's tools/test.py and mmengine's loader will do.
    torch.load(io.BytesIO(data), map_location='cpu', weights_only=True)
    final = published_name(out_file, hashlib.sha256(data).hexdigest())
    if osp.exists(final):
        with open(final, 'rb') as f:
            if f.read() == data:
                return final
        raise FileExistsError(f'{final} exists and differs from what would be written; '
                              'remove it or choose another output name')
    atomic_write_bytes(data, final)
    return final
