"""Which files of an output folder ``tools/infer.py`` wrote, and its own temporary folders.

``--overwrite`` must replace an earlier run's outputs and nothing else: a user's own files
in ``--out`` (ground-truth PNGs in a ``masks/`` folder, notes, their own ``summary.json`` or
``overlay.mp4``) are never removed. Names alone cannot tell them apart, so every run leaves a
manifest, :data:`MANIFEST`, listing each file it wrote with its sha256. ``--overwrite`` goes on
only when every file in the folder is in the manifest, unchanged (:func:`unowned_entries`);
otherwise it names what is not and leaves the folder as it is.

A run writes into a temporary folder next to ``--out`` and moves it into place at the end; a
killed run leaves that folder behind. It carries a marker file, :data:`MARKER`, with the
writer's process id, so that the next run removes such folders, and only those, once their
process has ended (:func:`remove_stale_work_folders`).
"""
import glob
import hashlib
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Tuple

__all__ = ['MANIFEST', 'MARKER', 'write_manifest', 'unowned_entries', 'make_work_folder',
           'release_work_folder', 'remove_stale_work_folders']

#: The manifest of a finished run, in its output folder.
MANIFEST = '.transavs-infer-manifest.json'
#: The marker of a run's temporary folder (its content: the writer's process id).
MARKER = '.transavs-infer-in-progress'
#: Prefixes (after ``.{out name}.``) of the temporary folders a run makes next to ``--out``.
WORK_KINDS = ('incomplete-', 'old-')


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _walk(folder: str) -> Tuple[List[str], List[str]]:
    """Relative paths of the files and of the folders under ``folder`` (links as files)."""
    files, dirs = [], []
    for root, subdirs, names in os.walk(folder):
        rel = osp.relpath(root, folder)
        for d in subdirs:
            path = osp.normpath(osp.join(rel, d))
            (files if osp.islink(osp.join(root, d)) else dirs).append(path)
        files += [osp.normpath(osp.join(rel, n)) for n in names]
    return sorted(files), sorted(dirs)


def write_manifest(folder: str) -> Dict[str, str]:
    """Records every file under ``folder`` (but the manifest and marker) with its sha256."""
    files, _ = _walk(folder)
    entries = {f: _sha256(osp.join(folder, f)) for f in files if f not in (MANIFEST, MARKER)}
    with open(osp.join(folder, MANIFEST), 'w') as f:
        json.dump(dict(written_by='projects.transavs.apis.segment_video (tools/infer.py)',
                       files=entries), f, indent=1)
    return entries


def unowned_entries(folder: str) -> Tuple[bool, List[str]]:
    """Whether ``folder`` has a manifest, and its entries that the manifest does not vouch
    for: files it does not list or whose content changed, and folders holding none of its
    files (each named relative to ``folder``, ``' (changed)'`` added to changed files)."""
    path = osp.join(folder, MANIFEST)
    try:
        with open(path) as f:
            listed = json.load(f)['files']
        if not isinstance(listed, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        return False, []
    files, dirs = _walk(folder)
    unowned = []
    for name in files:
        if name == MANIFEST:
            continue
        if name not in listed:
            unowned.append(name)
        elif _sha256(osp.join(folder, name)) != listed[name]:
            unowned.append(f'{name} (changed)')
    parents = {osp.dirname(name) for name in listed}
    parents |= {p for name in list(parents) for p in _ancestors(name)}
    unowned += [d + '/' for d in dirs if d not in parents]
    return True, sorted(unowned)


def _ancestors(path: str) -> List[str]:
    out = []
    while path and path != '.':
        out.append(path)
        path = osp.dirname(path)
    return out


def make_work_folder(out_dir: str, kind: str = 'incomplete-') -> str:
    """A new temporary folder ``.{name}.{kind}XXXXXX`` next to ``out_dir``, with the marker."""
    parent, name = osp.dirname(out_dir), osp.basename(out_dir)
    path = tempfile.mkdtemp(prefix=f'.{name}.{kind}', dir=parent)
    with open(osp.join(path, MARKER), 'w') as f:
        f.write(str(os.getpid()))
    return path


def release_work_folder(path: str) -> None:
    """Removes the marker of a temporary folder that is about to become an output folder."""
    marker = osp.join(path, MARKER)
    if osp.exists(marker):
        os.remove(marker)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_work_folders(out_dir: str) -> List[str]:
    """Removes the temporary folders of ``out_dir`` that killed runs left (marker present,
    process ended); returns their paths. Other folders, even of the same name pattern, stay."""
    parent, name = osp.dirname(out_dir), osp.basename(out_dir)
    removed = []
    for kind in WORK_KINDS:
        for path in sorted(glob.glob(osp.join(glob.escape(parent), f'.{glob.escape(name)}.'
                                              f'{kind}*'))):
            marker = osp.join(path, MARKER)
            if not osp.isdir(path) or osp.islink(path) or not osp.isfile(marker):
                continue
            try:
                with open(marker) as f:
                    pid = int(f.read().strip())
            except (OSError, ValueError):
                continue
            if pid != os.getpid() and not _process_alive(pid):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed
