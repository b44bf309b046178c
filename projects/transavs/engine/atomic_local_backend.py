"""Crash-safe local writes for mmengine: a file is either the old one or the complete new one.

mmengine's ``LocalBackend.put`` (used by ``save_checkpoint`` and therefore by
``CheckpointHook``) opens the target with ``'wb'`` and writes into it, so a crash or a kill
during the write leaves a truncated checkpoint under the final name. This backend writes to
a temporary file in the same folder, flushes and fsyncs it, and renames it over the target
(``os.replace`` is atomic on POSIX and Windows); an interrupted write leaves at most a
``.tmp`` file, never a truncated checkpoint.

It is opt-in: :func:`register_atomic_local_backend` adds it to mmengine's file backends under
its own name (``'atomic_local'``, no path prefixes), and a writer selects it with
``backend_args=dict(backend='atomic_local')``, as :class:`~projects.transavs.engine.AVSRunner`
does for its checkpoints. mmengine's backend for local paths stays ``LocalBackend``.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

import mmengine
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio.backends import backends

__all__ = ['ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'atomic_write_bytes',
           'register_atomic_local_backend']

#: The name under which :class:`AtomicLocalBackend` is registered with mmengine.
ATOMIC_LOCAL_BACKEND = 'atomic_local'


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Writes ``data`` to ``filepath`` through a fsynced temporary file and a rename.

    Args:
        data (bytes): the content.
        filepath (str | Path): the target; its folder is created if needed.
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    mmengine.mkdir_or_exist(folder)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', suffix='.tmp',
                               dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
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
