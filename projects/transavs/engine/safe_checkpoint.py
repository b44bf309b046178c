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
  global when a checkpoint contains anything else;
* names the file, and its size, when it is empty, truncated or not a PyTorch checkpoint at all
  (:class:`CorruptCheckpointError`) instead of torch's nameless ``PytorchStreamReader ...`` /
  ``EOFError``;
* loads weights strictly by default (:func:`load_state_dict_checked`): a checkpoint that does
  not fit the model (another config, another network) is refused with the first missing,
  unexpected and mis-shaped keys (:class:`CheckpointMismatchError`); partial loading is an
  explicit opt-in and logs a WARNING that counts what was not loaded.

Nothing here is registered with mmengine or changes torch's defaults: restricted loading is
used by :class:`~projects.transavs.engine.AVSRunner` (``runner_type`` in the configs),
:func:`~projects.transavs.apis.init_model` and the tools, and by whoever calls these functions.
"""
import io
import logging
import os
import os.path as osp
import pickle
import re
import zipfile
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log

__all__ = [
    'UnsafeCheckpointError', 'CorruptCheckpointError', 'CheckpointMismatchError',
    'NonFiniteCheckpointError', 'non_finite_keys',
    'checkpoint_safe_globals', 'safe_torch_load', 'load_checkpoint_file',
    'load_checkpoint_to_model', 'load_state_dict_checked'
]

#: How many keys of each kind (missing, unexpected, mis-shaped) an error message names.
SHOWN_KEYS = 5

#: How users opt in to partial loading, named in :class:`CheckpointMismatchError` messages.
PARTIAL_LOAD_HINT = ('To load only the weights that fit, opt in: `load_from_partial = True` '
                     'in the config (training with load_from), --partial-load '
                     '(tools/test.py, tools/infer.py) or init_model(..., strict=False).')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint was refused because it holds objects outside the allow-list."""


class CorruptCheckpointError(ValueError):
    """A checkpoint file is empty, truncated or not a PyTorch checkpoint."""


class CheckpointMismatchError(ValueError):
    """A checkpoint's weights do not fit the model (missing, unexpected or mis-shaped keys)."""


class NonFiniteCheckpointError(ValueError):
    """A checkpoint holds NaN or infinite weights (saved by a run that diverged)."""


def non_finite_keys(state_dict: Dict[str, Any]) -> List[str]:
    """The names of the floating-point tensors in ``state_dict`` holding NaN or inf."""
    return [name for name, value in state_dict.items()
            if isinstance(value, torch.Tensor) and value.is_floating_point()
            and not bool(torch.isfinite(value).all())]


def non_finite_message(name: str, keys: Sequence[str]) -> str:
    """What :class:`NonFiniteCheckpointError` says about checkpoint ``name``."""
    return (f'{name}: {len(keys)} weight tensor(s) hold NaN or infinite values '
            f'({_shown(list(keys))}): the run that saved it diverged; use an earlier '
            'checkpoint. Nothing was loaded.')


def _file_size(file: Any) -> Optional[int]:
    """The size in bytes of a local path, or None (file-like objects, unreadable paths)."""
    if isinstance(file, (str, os.PathLike)):
        try:
            return os.path.getsize(file)
        except OSError:
            return None
    return None


def _is_corrupt_file_error(err: BaseException) -> bool:
    """Whether ``torch.load`` failed because the bytes are not a (complete) checkpoint.

    An empty file raises ``EOFError``, a truncated or foreign zip ``RuntimeError:
    PytorchStreamReader failed reading zip archive ...``, a non-zip foreign file a
    ``KeyError`` (the first byte read as a legacy pickle opcode) or ``UnpicklingError``.
    Other ``RuntimeError`` s (e.g. a CUDA ``map_location`` without CUDA) are not about the file.
    """
    if isinstance(err, (EOFError, KeyError, zipfile.BadZipFile)):
        return True
    if isinstance(err, RuntimeError):
        text = str(err)
        return 'PytorchStreamReader' in text or 'zip archive' in text
    return False


def _corrupt(name: str, size: Optional[int], err: BaseException) -> CorruptCheckpointError:
    """The error for a file that is not a complete PyTorch checkpoint."""
    size_text = 'size unknown' if size is None else f'{size} bytes'
    if size == 0:
        what = 'the file is empty (an interrupted save or copy?)'
    else:
        what = ('the file is truncated (an interrupted save or copy?) or not a PyTorch '
                'checkpoint')
    return CorruptCheckpointError(
        f'{name}: cannot load this checkpoint ({size_text}): {what}. torch said: '
        f'{type(err).__name__}: {err}')


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
        CorruptCheckpointError: the file is empty, truncated or not a PyTorch checkpoint
            (the message names it and its size in bytes).
    """
    name = name or (os.fspath(file) if isinstance(file, (str, os.PathLike)) else
                    repr(file))
    if isinstance(file, (str, os.PathLike)) and not osp.isfile(file):
        raise FileNotFoundError(f'checkpoint not found: {name}')
    size = _file_size(file)
    if size == 0:
        raise _corrupt(name, size, EOFError('no data'))
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(file, map_location=map_location, weights_only=True)
    except (EOFError, KeyError, RuntimeError, zipfile.BadZipFile) as err:
        if _is_corrupt_file_error(err):
            raise _corrupt(name, size, err) from err
        raise
    except pickle.UnpicklingError as err:
        if isinstance(file, (str, os.PathLike)) and not zipfile.is_zipfile(file) and (
                'invalid load key' in str(err) or 'Unsupported operand' in str(err)):
            raise _corrupt(name, size, err) from err
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


def _shown(keys: Sequence[str]) -> str:
    """The first :data:`SHOWN_KEYS` of ``keys``, then how many more there are."""
    shown = ', '.join(keys[:SHOWN_KEYS])
    return shown + (f', ... ({len(keys) - SHOWN_KEYS} more)' if len(keys) > SHOWN_KEYS else '')


def _revised_state_dict(checkpoint: dict,
                        revise_keys: Sequence[Tuple[str, str]]) -> 'OrderedDict[str, Any]':
    """The state dict of a checkpoint with mmengine's ``revise_keys`` substitutions applied.

    As mmengine's ``_load_checkpoint_to_model``: ``checkpoint['state_dict']`` when present,
    else the checkpoint itself; each ``(pattern, replacement)`` is ``re.sub`` on every key;
    the ``_metadata`` that torch's loaders use is kept.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    metadata = getattr(state_dict, '_metadata', OrderedDict())
    for pattern, replacement in revise_keys:
        state_dict = OrderedDict(
            (re.sub(pattern, replacement, k), v) for k, v in state_dict.items())
    state_dict = OrderedDict(state_dict)
    state_dict._metadata = metadata  # type: ignore[attr-defined]
    return state_dict


def load_state_dict_checked(model: torch.nn.Module,
                            state_dict: Dict[str, Any],
                            name: str,
                            strict: bool = True,
                            logger: Any = 'current') -> Dict[str, List[str]]:
    """Loads ``state_dict`` into ``model``; refuses, or with ``strict=False`` reports, misfits.

    The state dict is compared with ``model.state_dict()`` before anything is copied:
    *missing* keys are the model's that the checkpoint lacks, *unexpected* keys the
    checkpoint's that the model lacks, *mis-shaped* keys those in both with another shape.

    Args:
        model (nn.Module): receives the weights (already unwrapped from DDP).
        state_dict (dict): parameter and buffer name -> tensor (keys already revised).
        name (str): the checkpoint file, for the messages.
        strict (bool): refuse any misfit (the model is left untouched). With False the
            fitting tensors are loaded, mis-shaped ones skipped, and a WARNING counts and
            names what was not loaded. Defaults to True.
        logger: where the WARNING goes (mmengine ``print_log`` logger: ``'current'``, an
            MMLogger, ``'silent'``...). Defaults to ``'current'``.

    Returns:
        dict: ``missing``, ``unexpected`` and ``mismatched`` key lists (empty when all fit).

    Raises:
        CheckpointMismatchError: ``strict`` and the checkpoint does not fit; the message
            names the file and the first missing, unexpected and mis-shaped keys, with counts.
        NonFiniteCheckpointError: a weight holds NaN or inf (whatever ``strict`` says).
    """
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    mismatched = [
        k for k, v in state_dict.items() if k in own and hasattr(v, 'shape')
        and hasattr(own[k], 'shape') and tuple(v.shape) != tuple(own[k].shape)
    ]
    report = dict(missing=missing, unexpected=unexpected, mismatched=mismatched)
    parts = []
    if missing:
        parts.append(f'{len(missing)} missing key(s) (in the model, not in the checkpoint): '
                     f'{_shown(missing)}')
    if unexpected:
        parts.append(f'{len(unexpected)} unexpected key(s) (in the checkpoint, not in the '
                     f'model): {_shown(unexpected)}')
    if mismatched:
        shapes = [f'{k} (checkpoint {tuple(state_dict[k].shape)}, model '
                  f'{tuple(own[k].shape)})' for k in mismatched]
        parts.append(f'{len(mismatched)} mis-shaped key(s): {_shown(shapes)}')
    bad = non_finite_keys(state_dict)
    if bad:
        raise NonFiniteCheckpointError(non_finite_message(name, bad))
    if parts and strict:
        raise CheckpointMismatchError(
            f'{name}: this checkpoint does not fit the model (from another config or '
            f'network?): {"; ".join(parts)}. Nothing was loaded. {PARTIAL_LOAD_HINT}')
    fitting = OrderedDict((k, v) for k, v in state_dict.items() if k not in mismatched)
    fitting._metadata = getattr(state_dict, '_metadata', OrderedDict())  # type: ignore
    model.load_state_dict(fitting, strict=not parts)
    if parts:
        loaded = len(own) - len(missing) - len(mismatched)
        print_log(
            f'{name}: partial load (opted in): {loaded} of the model\'s {len(own)} tensors '
            f'loaded; not loaded: {len(missing)} missing, {len(unexpected)} unexpected, '
            f'{len(mismatched)} mis-shaped. Missing and mis-shaped ones keep their initial '
            f'values. {"; ".join(parts)}',
            logger=logger, level=logging.WARNING)
    return report


def load_checkpoint_to_model(model: torch.nn.Module,
                             filename: str,
                             map_location: Any = 'cpu',
                             strict: bool = True,
                             logger: Any = 'current',
                             revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''), )
                             ) -> dict:
    """mmengine's ``load_checkpoint(model, filename, ...)``, restricted and strict by default.

    Args:
        model (nn.Module): receives the weights (``state_dict`` of the checkpoint, or the
            checkpoint itself when it is a plain state dict).
        filename (str): path or URL.
        map_location: as for :func:`torch.load`. Defaults to ``'cpu'``.
        strict (bool): refuse a checkpoint with missing, unexpected or mis-shaped keys
            (:class:`CheckpointMismatchError`). With False, load what fits and log a WARNING
            that counts the rest (:func:`load_state_dict_checked`). Defaults to True.
        logger: mmengine logger for the WARNING. Defaults to ``'current'``.
        revise_keys (Sequence[tuple[str, str]]): regex substitutions on the keys.

    Returns:
        dict: the loaded checkpoint.

    Raises:
        CheckpointMismatchError: ``strict`` and the weights do not fit the model.
        CorruptCheckpointError: the file is empty, truncated or not a checkpoint.
    """
    checkpoint = load_checkpoint_file(filename, map_location=map_location)
    if not isinstance(checkpoint, dict):
        raise RuntimeError(f'{filename}: no state dict in this checkpoint (it holds a '
                           f'{type(checkpoint).__name__})')
    load_state_dict_checked(model, _revised_state_dict(checkpoint, revise_keys), filename,
                            strict=strict, logger=logger)
    return checkpoint
