"""Real faults, to check that a set-up survives them (this project's tests use them; so can a
cluster's resume procedure). Loaded only on purpose, by a config's ``custom_imports =
dict(imports=['projects.transavs.testing.faults'])``; they register into mmseg's registries.

- ``KillOwnWorker``: a train-pipeline transform that SIGKILLs its own DataLoader worker (as the
  out-of-memory killer does) once ``trigger`` exists, so the kill comes after a checkpoint.
- ``FillDiskHook``: after iteration ``after_iter`` (and its checkpoint), writes ``filler`` so
  that only ``leave`` x the size of that checkpoint stays free on the work_dir's file system:
  the next checkpoint cannot be written.
"""
import os
import os.path as osp
import signal
import time

from mmengine.hooks import Hook
from mmseg.registry import HOOKS, TRANSFORMS
from torch.utils.data import get_worker_info


@TRANSFORMS.register_module()
class KillOwnWorker:
    """Kills its own DataLoader worker process with SIGKILL once ``trigger`` (a path) exists;
    outside a worker it does nothing."""

    def __init__(self, trigger):
        self.trigger = trigger

    def __call__(self, results):
        if get_worker_info() is not None and osp.exists(self.trigger):
            os.kill(os.getpid(), signal.SIGKILL)
        return results


@HOOKS.register_module()
class FillDiskHook(Hook):
    """After iteration ``after_iter`` writes ``filler`` so that ``leave`` x the size of that
    iteration's checkpoint stays free on the work_dir's file system (the user deletes it)."""
    priority = 'LOWEST'  # after the checkpoint hook has saved

    def __init__(self, filler, after_iter=1, leave=0.5):
        self.filler, self.after_iter, self.leave = filler, after_iter, leave

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 != self.after_iter:
            return
        saved = osp.join(runner.work_dir, f'iter_{self.after_iter}.pth')
        stat = os.statvfs(runner.work_dir)
        free = stat.f_bavail * stat.f_frsize
        fill = free - int(self.leave * osp.getsize(saved))
        with open(self.filler, 'wb') as f:
            f.write(b'\0' * fill)


@TRANSFORMS.register_module()
class SlowDown:
    """Sleeps ``seconds`` per call: a deliberately slow step (e.g. in a test pipeline, to see a
    live run fall behind and drop frames)."""

    def __init__(self, seconds):
        self.seconds = float(seconds)

    def __call__(self, results):
        time.sleep(self.seconds)
        return results
