"""A killed DataLoader worker explained: which worker, which signal, which clip, what next.

PyTorch reports a worker that died (most often killed by the kernel's out-of-memory killer)
with ``DataLoader worker (pid(s) 1234) exited unexpectedly`` or ``DataLoader worker (pid
1234) is killed by signal: Killed.``: no clip, no cause, no way on. :func:`explain_worker_death`
recognises these errors and builds a :class:`DataLoaderWorkerDied` naming the clip the worker
was loading (from :mod:`projects.transavs.datasets.loading_tracker`, where known), the likely
cause and the command that resumes the run.
"""
import re
from typing import Iterator, List, Optional

from ..datasets.loading_tracker import clip_loaded_by

__all__ = ['DataLoaderWorkerDied', 'explain_worker_death', 'worker_pids']

_EXITED = re.compile(r'DataLoader worker \(pid\(s\) ([\d, ]+)\) exited unexpectedly')
_SIGNALLED = re.compile(r'DataLoader worker \(pid (\d+)\) is killed by signal: ([^.]+)\.')


class DataLoaderWorkerDied(RuntimeError):
    """A DataLoader worker process died while the run was loading data."""


def _chain(error: Optional[BaseException]) -> Iterator[BaseException]:
    """``error`` and its causes / contexts, each once."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def worker_pids(error: BaseException) -> List[int]:
    """The pids of dead DataLoader workers that ``error`` (or its causes) reports."""
    pids: List[int] = []
    for link in _chain(error):
        text = str(link)
        for match in _EXITED.finditer(text):
            pids.extend(int(p) for p in match.group(1).replace(' ', '').split(',') if p)
        pids.extend(int(m.group(1)) for m in _SIGNALLED.finditer(text))
    return list(dict.fromkeys(pids))


def _signal_name(error: BaseException) -> Optional[str]:
    for link in _chain(error):
        match = _SIGNALLED.search(str(link))
        if match:
            return match.group(2)
    return None


def explain_worker_death(error: BaseException,
                         next_step: str) -> Optional[DataLoaderWorkerDied]:
    """The :class:`DataLoaderWorkerDied` for PyTorch's dead-worker ``error``, else None.

    Args:
        error (BaseException): what the data loading raised.
        next_step (str): what the user can do now (e.g. the resume command), appended.
    """
    pids = worker_pids(error)
    if not pids:
        return None
    clips = [(pid, clip_loaded_by(pid)) for pid in pids]
    known = [clip if len(pids) == 1 else f'{clip} (pid {pid})' for pid, clip in clips if clip]
    who = 'DataLoader worker' + ('s' if len(pids) > 1 else '') + \
        f' (pid {", ".join(str(p) for p in pids)})'
    signal = _signal_name(error)
    were = 'were' if len(pids) > 1 else 'was'
    how = f'{were} killed by signal {signal}' if signal else 'exited unexpectedly'
    loading = (f'while loading {", ".join(known)}' if known else
               'while not loading a clip of ours, or loading one it could not name '
               '(workers started with spawn do not report)')
    return DataLoaderWorkerDied(
        f'{who} {how} {loading}. A worker killed without an error of its own is most often '
        'the out-of-memory killer (see dmesg): lower the loaders\' num_workers or batch_size, '
        f'or free memory. {next_step}')
