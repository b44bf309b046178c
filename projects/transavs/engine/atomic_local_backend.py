"""Crash-safe local writes for mmengine: a file is either the old one or the complete new one.

mmengine's ``LocalBackend.put`` (used by ``save_checkpoint`` and therefore by
``CheckpointHook``) opens the target with ``'wb'`` and writes into it, so a crash or a kill
during the write leaves a truncated checkpoint under the final name. This backend writes to
a temporary file in the same folder, flushes and fsyncs it, and renames it over the target
(``os.replace`` is atomic on POSIX and Windows); an interrupted write leaves at most a
``.tmp`` file (``.<name>.<random>.tmp``), never a truncated checkpoint; such orphans are
removed by :func:`remove_orphan_temporaries` (the checkpoint hook calls it at the start of
training and after each save). The file gets the permissions of a plain ``open(..., 'w')``
(``0o666 & ~umask``), not the ``0o600`` of :func:`tempfile.mkstemp`.

It is opt-in: :func:`register_atomic_local_backend` adds it to mmengine's file backends under
its own name (``'atomic_local'``, no path prefixes), and a writer selects it with
``backend_args=dict(backend='atomic_local')``, as :class:`~projects.transavs.engine.AVSRunner`
does for its checkpoints. mmengine's backend for local paths stays ``LocalBackend``.
"""
import os
import os.path as osp
import re
import tempfile
from pathlib import Path
from typing import List, Union

import mmengine
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio.backends import backends

from ..utils.disk_space import explain_disk_full

__all__ = ['ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'atomic_write_bytes',
           'register_atomic_local_backend', 'remove_orphan_temporaries']

#: The name under which :class:`AtomicLocalBackend` is registered with mmengine.
ATOMIC_LOCAL_BACKEND = 'atomic_local'


#: The names of :func:`atomic_write_bytes`' temporary files: ``.<target>.<mkstemp chars>.tmp``.
TEMPORARY_NAME = re.compile(r'^\..+\.[A-Za-z0-9_]{8}\.tmp$')


def _current_umask() -> int:
    """The process umask (from ``/proc`` where available, else set and restored)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_orphan_temporaries(folder: Union[str, Path]) -> List[str]:
    """Deletes the temporary files that interrupted :func:`atomic_write_bytes` calls left.

    Only call it when no write into ``folder`` is in progress (e.g. by the process that
    owns the folder, before or right after its own save).

    Args:
        folder (str | Path): the folder (a missing one is fine).

    Returns:
        list[str]: the paths removed.
    """
    folder = str(folder)
    if not osp.isdir(folder):
        return []
    removed = []
    for name in sorted(os.listdir(folder)):
        path = osp.join(folder, name)
        if TEMPORARY_NAME.match(name) and osp.isfile(path):
            try:
                os.remove(path)
                removed.append(path)
            except FileNotFoundError:
                pass
    return removed


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Writes ``data`` to ``filepath`` through a fsynced temporary file and a rename.

    The file ends with mode ``0o666 & ~umask``, as ``open(filepath, 'wb')`` would create it.

    Args:
        data (bytes): the content.
        filepath (str | Path): the target; its folder is created if needed.

    Raises:
        DiskFullError: the disk (or quota) is full; names the file, its size and the space
            free (the temporary file removed, the old ``filepath`` untouched).
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    mmengine.mkdir_or_exist(folder)
    # A full disk is named with the file and the sizes, after the partial file is removed.
    with explain_disk_full(filepath, len(data)):
        fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', suffix='.tmp',
                                   dir=folder)
        try:
            with os.fdopen(fd, 'wb') as f:
                if hasattr(os, 'fchmod'):
                    os.fchmod(f.fileno(), 0o666 & ~_current_umask())
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise


class AtomicLocalBackend(LocalBackend):
    """mmengine's local storage backend with atomic ``put`` and ``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


def register_atomic_local_backend() -> None:
    """Adds :class:`AtomicLocalBackend` to mmengine's backends as ``'atomic_local'``.

    Idempotent; replaces nothing (mmengine's ``'local'`` backend and its prefixes stay).

    Raises:
        KeyError: another class is already registered under ``'atomic_local'``.
    """
    registered = backends.get(ATOMIC_LOCAL_BACKEND)
    if registered is AtomicLocalBackend:
        return
    if registered is not None:
        raise KeyError(f'mmengine file backend {ATOMIC_LOCAL_BACKEND!r} is already '
                       f'{registered.__module__}.{registered.__name__}')
    register_backend(ATOMIC_LOCAL_BACKEND, AtomicLocalBackend)
