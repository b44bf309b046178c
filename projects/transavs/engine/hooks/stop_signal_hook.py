"""Saves a checkpoint when training is asked to stop (SIGTERM, Ctrl-C), then stops.

SLURM and Kubernetes send SIGTERM on pre-emption, and Ctrl-C sends SIGINT; by default either
ends the process at once and loses everything since the last checkpoint (up to 4999
iterations with the paper configs). This hook catches both signals while training runs, lets
the current iteration finish, saves a checkpoint through the run's checkpoint hook (the same
names, ``last_checkpoint`` and crash-safe order, so ``--resume`` continues from it) and raises
:class:`TrainingInterrupted`, which ``tools/train.py`` reports in one line with exit code
``128 + signal`` (143 for SIGTERM, 130 for Ctrl-C). A second signal stops at once (Python's
``KeyboardInterrupt``). In a distributed run the processes agree on the stop at the same
iteration (one all-reduced number per iteration). Signals can only be caught in the main
thread; elsewhere the hook does nothing. Written here because mmengine has no such hook.
"""
import os.path as osp
import signal
import threading
from typing import Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmseg.registry import HOOKS

__all__ = ['StopSignalHook', 'TrainingInterrupted']

#: The signals that ask training to stop.
STOP_SIGNALS = ('SIGTERM', 'SIGINT')


class TrainingInterrupted(Exception):
    """Training stopped on a signal after saving a checkpoint; ``signum`` is the signal."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum


@HOOKS.register_module()
class StopSignalHook(Hook):
    """On SIGTERM or SIGINT during training: finish the iteration, save, stop."""

    priority = 'LOWEST'  # after the checkpoint hook of the same iteration

    def __init__(self) -> None:
        self._received: Optional[int] = None
        self._previous = {}

    def _handle(self, signum, frame) -> None:
        if self._received is not None:  # asked twice: stop now
            self._restore()
            raise KeyboardInterrupt
        self._received = signum

    def _restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def before_train(self, runner) -> None:
        self._received = None
        if threading.current_thread() is not threading.main_thread():
            return
        for name in STOP_SIGNALS:
            sig = getattr(signal, name)
            self._previous[sig] = signal.signal(sig, self._handle)

    def after_train(self, runner) -> None:
        self._restore()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        received = self._received
        if get_world_size() > 1:
            flag = torch.tensor([float(received or 0)])
            all_reduce(flag, op='max')
            received = int(flag.item()) or None
        if not received:
            return
        self._restore()
        step = runner.iter + 1
        saved = self._save(runner, step)
        name = signal.Signals(received).name
        raise TrainingInterrupted(
            f'training stopped by {name} after iteration {step}: '
            f'{"saved " + saved if saved else "no checkpoint hook, nothing saved"}; '
            'tools/train.py CONFIG --resume continues from it', received)

    @staticmethod
    def _save(runner, step: int) -> Optional[str]:
        """Saves through the run's checkpoint hook (unless it saved this step already)."""
        hooks = [h for h in runner.hooks if isinstance(h, CheckpointHook)]
        if not hooks:
            return None
        hook = hooks[0]
        path = osp.join(hook.out_dir, hook.filename_tmpl.format(step))
        if not osp.isfile(path):
            hook._save_checkpoint(runner)
        return path
