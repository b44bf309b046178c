"""Which clip each DataLoader worker is loading, readable after the worker has been killed.

When the kernel's out-of-memory killer (or anything else) kills a DataLoader worker, PyTorch
says only ``DataLoader worker (pid(s) 1234) exited unexpectedly``; the worker cannot report
anything any more. So each worker writes the clip it starts loading into a slot of a small
shared-memory table before it loads it, and the main process reads the slot of the dead pid.

The table (256 slots of ``pid`` + a 240-byte name, about 62 KiB) is created by
:func:`enable_loading_tracker` in the main process when a dataset is built, before workers
exist, so forked workers inherit it (mmseg's runtime configs start workers with ``fork``).
Workers started with ``spawn`` / ``forkserver`` do not inherit module state: there the clip is
simply not known and :func:`clip_loaded_by` says so (returns None). A slot is keyed by
``pid % 256`` and holds the pid, so a collision of two live workers yields "not known", never
another worker's clip. Written by hand: neither PyTorch nor mmengine records what a worker was
loading.
"""
import ctypes
import multiprocessing
import os
from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Optional

from torch.utils.data import get_worker_info

__all__ = ['LoadingTrackerMixin', 'clip_label', 'clip_loaded_by', 'enable_loading_tracker',
           'loading_clip']

_SLOTS = 256
_NAME_BYTES = 240

_pids = None
_names = None


def clip_label(info: Mapping, index: Optional[int] = None) -> str:
    """A clip's name for messages: ``subset/video_name`` (``uid`` where there is no name).

    Args:
        info (Mapping): a clip's data info or a data sample's metainfo.
        index (int, optional): shown when the info holds no name.
    """
    name = info.get('video_name') or info.get('uid')
    if not name:
        return f'#{index} (no video_name)' if index is not None else '(no video_name)'
    subset = info.get('subset')
    return f'{subset}/{name}' if subset else str(name)


def enable_loading_tracker() -> None:
    """Creates the shared table (once, in the main process; a no-op inside a worker)."""
    global _pids, _names
    if _pids is not None or get_worker_info() is not None:
        return
    if multiprocessing.parent_process() is not None:
        return  # a worker or a subprocess: its table, if any, is its parent's
    _pids = multiprocessing.RawArray(ctypes.c_int, _SLOTS)
    _names = multiprocessing.RawArray(ctypes.c_char, _SLOTS * _NAME_BYTES)


@contextmanager
def loading_clip(label: str) -> Iterator[None]:
    """Marks this DataLoader worker's slot with ``label`` while the block runs.

    Outside a worker (or without the table) it does nothing. The slot is cleared when the
    block ends, so a worker killed between clips (e.g. while collating) reports no clip
    rather than one it had finished.
    """
    if _pids is None or get_worker_info() is None:
        yield
        return
    pid = os.getpid()
    slot = pid % _SLOTS
    data = label.encode('utf-8', 'replace')[:_NAME_BYTES].ljust(_NAME_BYTES, b'\0')
    _pids[slot] = 0  # invalid while the name is being written
    _names[slot * _NAME_BYTES:(slot + 1) * _NAME_BYTES] = data
    _pids[slot] = pid
    try:
        yield
    finally:
        _pids[slot] = 0


def clip_loaded_by(pid: int) -> Optional[str]:
    """The clip worker ``pid`` was loading, or None where that is not known."""
    if _pids is None or _pids[pid % _SLOTS] != pid:
        return None
    slot = pid % _SLOTS
    raw = bytes(_names[slot * _NAME_BYTES:(slot + 1) * _NAME_BYTES]).rstrip(b'\0')
    return raw.decode('utf-8', 'replace') or None


class LoadingTrackerMixin:
    """For an mmengine ``BaseDataset``: creates the table and marks each clip while it loads.

    Put it before ``BaseDataset`` in the bases; ``prepare_data`` is mmengine's (data info
    through the pipeline) inside :func:`loading_clip`.
    """

    def __init__(self, *args, **kwargs) -> None:
        enable_loading_tracker()
        super().__init__(*args, **kwargs)

    def prepare_data(self, idx: int) -> Any:
        data_info = self.get_data_info(idx)
        with loading_clip(clip_label(data_info, idx)):
            return self.pipeline(data_info)
