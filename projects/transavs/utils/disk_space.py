"""A full disk named: which path, how much space the write needed, how much is free.

A write that fills the disk raises ``OSError: [Errno 28] No space left on device``, often
without a path (``f.write`` / ``f.close`` on an open file carry none) and never with sizes.
:func:`explain_disk_full` turns it (and ``EDQUOT``, a full quota) into a
:class:`DiskFullError` that says which file or folder was being written, how much it needed
where that is known, and how much is free on that file system now (after the writer removed
its partial file).
"""
import errno
import os
import os.path as osp
import shutil
from contextlib import contextmanager
from typing import Iterator, Optional, Union

__all__ = ['DiskFullError', 'disk_full_error', 'explain_disk_full', 'format_bytes',
           'is_disk_full']

_FULL = (errno.ENOSPC, errno.EDQUOT)


class DiskFullError(OSError):
    """No space (or quota) left while writing; the message names the path and the sizes."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.errno = errno.ENOSPC
        self.filename = path

    def __str__(self) -> str:
        return self.args[0]


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` is an ``OSError`` for a full disk or quota."""
    return isinstance(error, OSError) and error.errno in _FULL


def format_bytes(size: float) -> str:
    """``123 B``, ``4.5 KiB``, ``67.8 MiB``, ``1.2 GiB``."""
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if size < 1024 or unit == 'GiB':
            return f'{size:.0f} {unit}' if unit == 'B' else f'{size:.1f} {unit}'
        size /= 1024
    raise AssertionError('unreachable')


def _free_bytes(path: str) -> Optional[int]:
    """Free bytes on the file system of ``path`` (its nearest existing ancestor)."""
    folder = osp.abspath(path)
    while not osp.exists(folder) and osp.dirname(folder) != folder:
        folder = osp.dirname(folder)
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def disk_full_error(path: Union[str, os.PathLike], needed: Optional[int] = None,
                    what: str = 'writing', written: Optional[int] = None) -> DiskFullError:
    """The :class:`DiskFullError` for a failed write to ``path``.

    Args:
        path (str | PathLike): the file (or folder) being written.
        needed (int, optional): the bytes the write needed, where known.
        what (str): the action, for the message (default ``'writing'``).
        written (int, optional): the bytes written before the disk filled (and removed
            again), where the total needed is not known.
    """
    path = str(path)
    free = _free_bytes(path)
    free_text = f'{format_bytes(free)} free there' if free is not None else 'free space unknown'
    if needed is not None:
        sizes = f'it needs {format_bytes(needed)}, {free_text}'
    elif written is not None:
        sizes = f'{format_bytes(written)} written before the disk filled, {free_text}'
    else:
        sizes = free_text
    return DiskFullError(f'no space left on the device {what} {path} ({sizes}); free some '
                         'space (or choose another folder) and run again', path)


@contextmanager
def explain_disk_full(path: Union[str, os.PathLike], needed: Optional[int] = None,
                      what: str = 'writing') -> Iterator[None]:
    """Re-raises a full-disk ``OSError`` in the block as :class:`DiskFullError` about ``path``.

    A :class:`DiskFullError` raised inside (by an inner, more precise call) passes unchanged.
    """
    try:
        yield
    except DiskFullError:
        raise
    except OSError as error:
        if not is_disk_full(error):
            raise
        raise disk_full_error(path, needed, what) from error
