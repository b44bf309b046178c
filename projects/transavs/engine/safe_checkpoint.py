"""Restricted (``weights_only``) checkpoint loading for mmengine on torch >= 2.6.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``. Since torch 2.6 that means
``weights_only=True``, and checkpoints that mmengine's own ``CheckpointHook`` wrote no longer
load: they hold a message hub with :class:`~mmengine.logging.HistoryBuffer` objects and numpy
arrays and scalars. Switching safe loading off would let any checkpoint run code on load, so
instead this module

* allow-lists exactly the extra globals that mmengine checkpoints contain
  (:func:`register_checkpoint_safe_globals`), and
* replaces mmengine's local, http(s) and torchvision checkpoint loaders by ones that always
  pass ``weights_only=True`` explicitly (so an environment variable such as
  ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` cannot turn restriction off for them), and
* offers :func:`safe_torch_load`, which names the file and the refused global when a
  checkpoint contains anything else.

Nothing here changes torch's global default.
"""
import io
import os
import os.path as osp
import pickle
from typing import Any, Callable, List, Optional, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = [
    'UnsafeCheckpointError', 'checkpoint_safe_globals',
    'register_checkpoint_safe_globals', 'safe_torch_load'
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint was refused because it holds objects outside the allow-list."""


def _numpy_globals() -> List[Any]:
    """numpy objects that pickled arrays, dtypes and scalars refer to."""
    try:  # numpy >= 2 names its core ``numpy._core``.
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    objs: List[Any] = [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype]
    # Concrete dtype classes (``numpy.dtypes.Float64DType`` ...), numpy >= 1.25.
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        objs += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType') and isinstance(getattr(dtypes, name), type)
        ]
    return objs


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stands in for ``getattr`` during restricted unpickling.

    ``HistoryBuffer.__getstate__`` stores its statistics methods, which pickle as
    ``getattr(HistoryBuffer, 'mean')``. A general ``getattr`` would let a checkpoint reach
    any attribute of any object it can build (e.g. a bound method that writes files), so
    only attributes of :class:`HistoryBuffer` that are its registered statistics methods
    are resolved.
    """
    allowed = set(HistoryBuffer._statistics_methods) | {'min', 'max', 'current', 'mean'}
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'restricted unpickling: getattr({obj!r}, {name!r}) is not allowed (only the '
        'statistics methods of mmengine.logging.HistoryBuffer are)')


def checkpoint_safe_globals() -> List[Any]:
    """The globals, beyond torch's defaults, that mmengine checkpoints need.

    Returns:
        list: classes and functions (or ``(object, 'module.name')`` pairs mapping a pickled
        name to the object used for it) to pass to
        :func:`torch.serialization.add_safe_globals`.
    """
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')] + _numpy_globals()


_REGISTERED = False


def register_checkpoint_safe_globals() -> None:
    """Adds :func:`checkpoint_safe_globals` to torch's ``weights_only`` allow-list.

    Idempotent. Called when ``projects.transavs`` is imported.
    """
    global _REGISTERED
    if not _REGISTERED:
        torch.serialization.add_safe_globals(checkpoint_safe_globals())
        _REGISTERED = True


def safe_torch_load(file: Union[str, os.PathLike, io.IOBase],
                    map_location: Optional[Union[str, Callable,
                                                 torch.device]] = 'cpu',
                    name: Optional[str] = None) -> Any:
    """``torch.load`` with ``weights_only=True`` and a clear refusal message.

    Args:
        file (str | PathLike | file-like): the checkpoint.
        map_location: as for :func:`torch.load`. Defaults to ``'cpu'``.
        name (str, optional): how to name the source in errors (defaults to ``file``).

    Returns:
        The loaded object (usually a dict of tensors and plain containers).

    Raises:
        FileNotFoundError: ``file`` is a path that does not exist.
        UnsafeCheckpointError: the checkpoint holds an object that is neither a tensor,
            a plain container nor on the allow-list (it is never executed).
    """
    register_checkpoint_safe_globals()
    name = name or (os.fspath(file) if isinstance(file, (str, os.PathLike)) else
                    repr(file))
    if isinstance(file, (str, os.PathLike)) and not osp.isfile(file):
        raise FileNotFoundError(f'checkpoint not found: {name}')
    try:
        return torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f'{name}: refused to load this checkpoint with restricted unpickling '
            '(weights_only=True): it contains an object outside the allow-list of '
            'tensors, plain containers, numpy arrays/scalars and mmengine history '
            f'buffers. Nothing from it was executed. torch said: {err}') from err


@CheckpointLoader.register_scheme(prefixes='', force=True)
def _load_from_local(filename: str, map_location=None) -> Any:
    """mmengine's local loader, restricted."""
    return safe_torch_load(osp.expanduser(filename), map_location=map_location)


@CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), force=True)
def _load_from_http(filename: str,
                    map_location=None,
                    model_dir: Optional[str] = None,
                    progress: bool = True) -> Any:
    """mmengine's http(s) loader, restricted (downloads into torch hub's cache)."""
    from mmengine.dist import get_dist_info
    rank, world_size = get_dist_info()
    if rank == 0:
        path = _download(filename, model_dir, progress)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = _download(filename, model_dir, progress)
    return safe_torch_load(path, map_location=map_location, name=filename)


def _download(url: str, model_dir: Optional[str], progress: bool) -> str:
    """Fetches ``url`` into the torch hub checkpoint folder (once) and returns the path."""
    from urllib.parse import urlparse
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    path = osp.join(model_dir, osp.basename(urlparse(url).path))
    if not osp.exists(path):
        torch.hub.download_url_to_file(url, path, progress=progress)
    return path


@CheckpointLoader.register_scheme(
    prefixes=('modelzoo://', 'torchvision://'), force=True)
def _load_from_torchvision(filename: str, map_location=None) -> Any:
    """mmengine's ``torchvision://`` loader, restricted."""
    from mmengine.runner.checkpoint import get_torchvision_models
    model_name = filename.split('://', 1)[1]
    urls = get_torchvision_models()
    if model_name not in urls:
        raise KeyError(f'{filename}: unknown torchvision model {model_name!r}')
    return _load_from_http(urls[model_name], map_location=map_location)
