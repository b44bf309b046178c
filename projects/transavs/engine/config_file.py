"""Reading a config file, with errors that name the file at fault.

``Config.fromfile`` reports a missing ``_base_`` file only by its resolved path
(``FileNotFoundError: ... '/path/./nope.py'``), without the config that names it, which may be
several levels up the inheritance chain. :func:`read_config` names both.
"""
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.config import Config

__all__ = ['read_config', 'base_referrer']


def base_referrer(config: str, missing: str) -> Optional[Tuple[str, str]]:
    """The config of ``config``'s inheritance chain whose ``_base_`` entry resolves to
    ``missing``, and that entry; None when none does.

    Uses mmengine's own resolution of ``_base_`` entries (``Config._get_base_files`` and
    ``Config._get_cfg_path``) so that the answer is the file mmengine tried to open.
    """
    target = osp.normpath(osp.abspath(missing))
    todo: List[str] = [config]
    seen = set()
    while todo:
        current = todo.pop(0)
        if current in seen or not osp.isfile(current):
            continue
        seen.add(current)
        try:
            entries = Config._get_base_files(current)
        except Exception:  # noqa: BLE001 - a file mmengine cannot parse names no base
            continue
        for entry in entries:
            try:
                path, scope = Config._get_cfg_path(entry, current)
            except Exception:  # noqa: BLE001 - e.g. a package that is not installed
                continue
            if osp.normpath(osp.abspath(path)) == target:
                return current, entry
            if scope is None:
                todo.append(path)
    return None


def read_config(config: str) -> Config:
    """``Config.fromfile(config)``; a missing config or ``_base_`` file is named with the
    config that refers to it.

    Raises:
        FileNotFoundError: ``config`` does not exist, or a ``_base_`` entry of it (or of a
            config it inherits from) names a file that does not exist.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    try:
        return Config.fromfile(config)
    except FileNotFoundError as err:
        missing = getattr(err, 'filename', None)
        found = base_referrer(config, missing) if missing else None
        if found is None:
            raise
        referrer, entry = found
        chain = '' if osp.samefile(referrer, config) else f' (inherited by {config})'
        raise FileNotFoundError(
            f'{osp.normpath(referrer)}{chain}: its _base_ entry {entry!r} names '
            f'{osp.normpath(missing)}, '
            'which does not exist') from err
