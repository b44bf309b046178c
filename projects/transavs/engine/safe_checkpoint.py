"""Restricted (``weights_only``) checkpoint loading for mmengine on torch >= 2.6.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``. Since torch 2.6 that means
``weights_only=True``, and checkpoints that mmengine's own ``CheckpointHook`` wrote no longer
load: they hold a message hub with :class:`~mmengine.logging.HistoryBuffer` objects and numpy
arrays and scalars. Switching safe loading off would let any checkpoint run code on load, so
instead this module

* names exactly the extra globals that mmengine checkpoints contain
  (:func:`checkpoint_safe_globals`) and allows them only for the duration of one load
  (``torch.serialization.safe_globals``), never process-wide;
* loads with ``weights_only=True`` passed explicitly, so that an environment variable such as
  ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` cannot turn restriction off
  (:func:`safe_torch_load`, :func:`load_checkpoint_file`), and names the file and the refused
  global when a checkpoint contains anything else.

Nothing here is registered with mmengine or changes torch's defaults: restricted loading is
used by :class:`~projects.transavs.engine.AVSRunner` (``runner_type`` in the configs),
:func:`~projects.transavs.apis.init_model` and the tools, and by whoever calls these functions.
"""
import io
import os
import os.path as osp
import pickle
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

__all__ = [
    'UnsafeCheckpointError', 'checkpoint_safe_globals', 'safe_torch_load',
    'load_checkpoint_file', 'load_checkpoint_to_model'
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


def safe_torch_load(file: Union[str, os.PathLike, io.IOBase],
                    map_location: Optional[Union[str, Callable,
                                                 torch.device]] = 'cpu',
                    name: Optional[str] = None) -> Any:
    """``torch.load`` with ``weights_only=True`` and a clear refusal message.

    The globals of :func:`checkpoint_safe_globals` are allowed during this call only.

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
    name = name or (os.fspath(file) if isinstance(file, (str, os.PathLike)) else
                    repr(file))
    if isinstance(file, (str, os.PathLike)) and not osp.isfile(file):
        raise FileNotFoundError(f'checkpoint not found: {name}')
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f'{name}: refused to load this checkpoint with restricted unpickling '
            '(weights_only=True): it contains an object outside the allow-list of '
            'tensors, plain containers, numpy arrays/scalars and mmengine history '
            f'buffers. Nothing from it was executed. torch said: {err}') from err


def _download(url: str, model_dir: Optional[str] = None, progress: bool = True) -> str:
    """Fetches ``url`` into the torch hub checkpoint folder (once) and returns the path.

    In a distributed run rank 0 downloads first and the other ranks wait for it.
    """
    from urllib.parse import urlparse

    from mmengine.dist import barrier, get_dist_info
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    path = osp.join(model_dir, osp.basename(urlparse(url).path))
    rank, world_size = get_dist_info()
    if rank == 0 and not osp.exists(path):
        os.makedirs(model_dir, exist_ok=True)
        torch.hub.download_url_to_file(url, path, progress=progress)
    if world_size > 1:
        barrier()
        if rank > 0 and not osp.exists(path):  # nodes without a shared folder
            os.makedirs(model_dir, exist_ok=True)
            torch.hub.download_url_to_file(url, path, progress=progress)
    return path


def load_checkpoint_file(filename: str, map_location: Any = 'cpu') -> Any:
    """Loads a checkpoint by name as mmengine's ``CheckpointLoader`` does, but restricted.

    Local paths (``~`` expanded), ``http(s)://`` URLs (downloaded once into torch hub's
    checkpoint folder) and ``torchvision://`` / ``modelzoo://`` names are read with
    :func:`safe_torch_load`. Other mmengine schemes (``open-mmlab://``, ``s3://`` ...) go
    through ``CheckpointLoader`` with the allow-list of :func:`checkpoint_safe_globals` in
    effect and torch's default ``weights_only=True``.

    Args:
        filename (str): path or URL.
        map_location: as for :func:`torch.load`. Defaults to ``'cpu'``.

    Returns:
        The loaded checkpoint.
    """
    if filename.startswith(('torchvision://', 'modelzoo://')):
        from mmengine.runner.checkpoint import get_torchvision_models
        model_name = filename.split('://', 1)[1]
        urls = get_torchvision_models()
        if model_name not in urls:
            raise KeyError(f'{filename}: unknown torchvision model {model_name!r}')
        filename = urls[model_name]
    if filename.startswith(('http://', 'https://')):
        return safe_torch_load(_download(filename), map_location=map_location, name=filename)
    if '://' not in filename:
        return safe_torch_load(osp.expanduser(filename), map_location=map_location)
    from mmengine.runner.checkpoint import CheckpointLoader
    with torch.serialization.safe_globals(checkpoint_safe_globals()):
        return CheckpointLoader.load_checkpoint(filename, map_location=map_location)


def load_checkpoint_to_model(model: torch.nn.Module,
                             filename: str,
                             map_location: Any = 'cpu',
                             strict: bool = False,
                             logger: Any = None,
                             revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''), )
                             ) -> dict:
    """mmengine's ``load_checkpoint(model, filename, ...)`` with :func:`load_checkpoint_file`.

    Args:
        model (nn.Module): receives the weights (``state_dict`` of the checkpoint, or the
            checkpoint itself when it is a plain state dict).
        filename (str): path or URL.
        map_location: as for :func:`torch.load`. Defaults to ``'cpu'``.
        strict (bool): refuse missing or unexpected keys. Defaults to False (mmengine's).
        logger: mmengine logger for the key report. Defaults to None.
        revise_keys (Sequence[tuple[str, str]]): regex substitutions on the keys.

    Returns:
        dict: the loaded checkpoint.
    """
    from mmengine.runner.checkpoint import _load_checkpoint_to_model
    checkpoint = load_checkpoint_file(filename, map_location=map_location)
    if not isinstance(checkpoint, dict):
        raise RuntimeError(f'{filename}: no state dict in this checkpoint (it holds a '
                           f'{type(checkpoint).__name__})')
    return _load_checkpoint_to_model(model, checkpoint, strict, logger, list(revise_keys))
