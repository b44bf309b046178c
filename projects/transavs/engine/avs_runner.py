"""mmengine's Runner with restricted checkpoint loading and crash-safe checkpoint saving.

Selected by ``runner_type = 'mmseg.AVSRunner'`` in the configs' runtime base (mmseg's and our
``tools/train.py`` / ``tools/test.py`` build ``runner_type`` with ``RUNNERS.build``). What it
changes, for this runner only (nothing is switched process-wide):

- ``load_from`` / ``--resume`` / ``Runner.load_checkpoint`` read checkpoints with
  ``weights_only=True`` and the allow-list of mmengine's own checkpoint contents
  (:func:`~projects.transavs.engine.load_checkpoint_file`); a checkpoint holding anything else
  is refused, never executed;
- ``init_cfg=dict(type='Pretrained', ...)`` weights load with that allow-list in effect;
- ``load_from`` and ``--resume`` load strictly: a checkpoint whose weights do not fit the model
  is refused (:class:`~projects.transavs.engine.CheckpointMismatchError`). ``load_from`` may
  load partially with the top-level config key ``load_from_partial = True`` (a WARNING then
  counts what was not loaded); resuming is always strict;
- checkpoints of local work dirs are written atomically (``AtomicLocalBackend``): a crash or
  a kill while saving leaves the previous checkpoint, never a truncated one;
- every plain ``CheckpointHook`` becomes an
  :class:`~projects.transavs.engine.hooks.AVSCheckpointHook`: old checkpoints are deleted only
  after the new one and ``last_checkpoint`` (written atomically) are complete;
- a full disk during training (a checkpoint, ``last_checkpoint``, a log) stops the run with a
  :class:`~projects.transavs.utils.DiskFullError` naming the file (or the work_dir where
  mmengine's writer does not say), the space needed where known and the space free, also in
  the work_dir's log; a killed DataLoader worker with a
  :class:`~projects.transavs.engine.DataLoaderWorkerDied` naming the clip it was loading;
  both say how to resume;
- ``--resume`` without a file (``resume=True``) takes ``last_checkpoint`` when it names a
  complete checkpoint, else (empty, missing, naming a deleted or corrupt file) the newest
  loadable ``iter_*.pth`` / ``epoch_*.pth`` on disk, with a WARNING naming what was skipped.
"""
import os
import os.path as osp
import re
from typing import Callable, List, Optional, Tuple, Union

import torch
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from ..utils.disk_space import DiskFullError, disk_full_error, is_disk_full
from .atomic_local_backend import ATOMIC_LOCAL_BACKEND, register_atomic_local_backend
from .hooks.avs_checkpoint_hook import AVSCheckpointHook
from .safe_checkpoint import (
    _revised_state_dict,
    checkpoint_safe_globals,
    load_checkpoint_file,
    load_state_dict_checked,
    safe_torch_load,
)
from .worker_failure import explain_worker_death

#: The names CheckpointHook gives checkpoints (``filename_tmpl`` ``iter_{}.pth`` / ``epoch_{}``).
CHECKPOINT_NAME = re.compile(r'^(iter|epoch)_(\d+)\.pth$')

__all__ = ['AVSRunner']


@RUNNERS.register_module()
class AVSRunner(Runner):
    """:class:`mmengine.runner.Runner` that loads checkpoints restricted and saves them atomically.

    Takes the arguments of :class:`mmengine.runner.Runner`, and

    Args:
        load_from_partial (bool, optional): let ``load_from`` load a checkpoint that does not
            fit the model entirely (the fitting tensors; a WARNING counts the rest). None
            (default): the config's top-level ``load_from_partial`` key, else False.
    """

    def __init__(self, *args, load_from_partial: Optional[bool] = None, **kwargs) -> None:
        register_atomic_local_backend()
        super().__init__(*args, **kwargs)
        if load_from_partial is None:
            load_from_partial = bool(self.cfg.get('load_from_partial', False))
        self.load_from_partial = load_from_partial

    def register_hook(self, hook: Union[Hook, dict], priority=None) -> None:
        """mmengine's ``register_hook``; a plain ``CheckpointHook`` becomes ``AVSCheckpointHook``.

        Args:
            hook (Hook | dict): the hook or its config.
            priority (int | str | Priority, optional): as mmengine's.
        """
        if isinstance(hook, dict):
            kind = hook.get('type')
            if kind is CheckpointHook or (isinstance(kind, str)
                                          and kind.split('.')[-1] == 'CheckpointHook'):
                hook = hook.copy()
                hook['type'] = AVSCheckpointHook
        elif type(hook) is CheckpointHook:
            # Same attributes; only the save order differs (no state of its own).
            hook.__class__ = AVSCheckpointHook
        super().register_hook(hook, priority)

    def load_or_resume(self) -> None:
        """mmengine's ``load_or_resume``, strict, with a checked choice of what to resume."""
        if self._has_loaded:
            return None
        if self._resume:
            resume_from = self._load_from
            if resume_from is None:
                resume_from = self.find_resumable_checkpoint()
                if resume_from is not None:
                    self.logger.info(f'Auto resumed from the latest checkpoint {resume_from}.')
            if resume_from is not None:
                self.resume(resume_from)
                self._has_loaded = True
        elif self._load_from is not None:
            self.load_checkpoint(self._load_from, strict=not self.load_from_partial)
            self._has_loaded = True

    def find_resumable_checkpoint(self) -> Optional[str]:
        """The checkpoint that ``resume=True`` (``--resume`` without a file) continues from.

        ``work_dir/last_checkpoint`` when it names a loadable checkpoint; otherwise (it is
        missing, empty, or names a deleted, empty or truncated file) the newest loadable
        ``iter_*.pth`` / ``epoch_*.pth`` (by number) of the work dir and of the folder that
        ``last_checkpoint`` points into. Each skipped candidate is named in a WARNING.

        Returns:
            str | None: the checkpoint path, or None when there is none (training starts
            from scratch).
        """
        pointer = osp.join(self.work_dir, 'last_checkpoint')
        skipped: List[str] = []
        named = None
        if osp.isfile(pointer):
            with open(pointer) as f:
                named = f.read().strip()
            if not named:
                skipped.append(f'{pointer} is empty')
        else:
            skipped.append(f'there is no {pointer}')
        folders = [self.work_dir]
        if named:
            if '://' in named:  # a remote store: trusted as mmengine does
                return named
            named = self._inside_own_folders(pointer, named)
            problem = self._unloadable(named)
            if problem is None:
                return named
            skipped.append(f'{pointer} names {named}, which {problem}')
            folders.append(osp.dirname(named) or '.')
        for path in self._checkpoints_on_disk(folders):
            if path == named:
                continue
            problem = self._unloadable(path)
            if problem is None:
                self.logger.warning(
                    f'Resuming from {path}, the newest complete checkpoint on disk; '
                    f'skipped: {"; ".join(skipped)}.')
                return path
            skipped.append(f'{path}, which {problem}')
        if len(skipped) > 1 or osp.isfile(pointer):
            self.logger.warning(f'No complete checkpoint to resume from in {self.work_dir}; '
                                f'training starts from scratch. Skipped: {"; ".join(skipped)}.')
        else:
            self.logger.info(f'No checkpoint to resume from in {self.work_dir} (no '
                             'last_checkpoint, no iter_*.pth / epoch_*.pth).')
        return None

    def _checkpoint_folders(self) -> List[str]:
        """Where this run's checkpoints go: the work dir and, when the checkpoint hook has an
        ``out_dir``, ``{out_dir}/{work_dir name}`` (as mmengine's hook names it)."""
        folders = [self.work_dir]
        hook = (self.cfg.get('default_hooks') or {}).get('checkpoint') or {}
        out_dir = hook.get('out_dir') if isinstance(hook, dict) else None
        if out_dir and '://' not in str(out_dir):
            folders.append(osp.join(out_dir, osp.basename(osp.normpath(self.work_dir))))
        return folders

    def _inside_own_folders(self, pointer: str, named: str) -> str:
        """``named`` (from ``last_checkpoint``) when it lies in this run's checkpoint folders.

        A work dir that was copied or moved keeps a ``last_checkpoint`` with the old absolute
        path, which would resume another run (its weights, optimizer and schedule). Such a
        path is replaced by the file of the same name in this work dir, with a WARNING naming
        both; when there is none, resuming is refused (``resume=True`` with
        ``load_from=PATH`` names a checkpoint explicitly).
        """
        path = named if osp.isabs(named) else osp.join(self.work_dir, named)
        real = osp.realpath(path)
        for folder in self._checkpoint_folders():
            root = osp.realpath(folder)
            if real == root or real.startswith(root + os.sep):
                return named
        local = osp.join(self.work_dir, osp.basename(named))
        if osp.isfile(local):
            self.logger.warning(
                f'{pointer} names {named}, outside this work_dir (copied or moved from '
                f'another run?); resuming from {local}, the file of that name here.')
            return local
        raise FileNotFoundError(
            f'{pointer} names {named}, outside this work_dir ({self.work_dir}), and there is '
            f'no {osp.basename(named)} here: resuming from it would continue another run. '
            'To continue from that checkpoint on purpose, name it (tools/train.py --resume '
            '--cfg-options load_from=PATH); to start anew, remove last_checkpoint.')

    @staticmethod
    def _checkpoints_on_disk(folders: List[str]) -> List[str]:
        """``iter_*.pth`` / ``epoch_*.pth`` files of ``folders``, highest number first."""
        found: List[Tuple[int, float, str]] = []
        for folder in dict.fromkeys(folders):
            if not osp.isdir(folder):
                continue
            for name in os.listdir(folder):
                match = CHECKPOINT_NAME.match(name)
                path = osp.join(folder, name)
                if match and osp.isfile(path):
                    found.append((int(match.group(2)), osp.getmtime(path), path))
        return [path for _, _, path in sorted(found, reverse=True)]

    @staticmethod
    def _unloadable(path: str) -> Optional[str]:
        """Why ``path`` cannot be resumed from (``'does not exist'`` ...), or None."""
        if not osp.isfile(path):
            return 'does not exist'
        try:
            checkpoint = safe_torch_load(path, map_location='cpu')
        except Exception as err:  # noqa: BLE001 - every reason to skip is reported
            return f'cannot be loaded ({err})'
        if not isinstance(checkpoint, dict) or 'meta' not in checkpoint:
            return 'is not a training checkpoint (no meta)'
        return None

    def _init_model_weights(self) -> None:
        """``init_weights`` with mmengine's checkpoint globals allowed for ``Pretrained``."""
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            super()._init_model_weights()

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = True,
                        revise_keys: list = [(r'^module.', '')]) -> dict:
        """Loads a checkpoint into the model, with restricted unpickling, strictly by default.

        Used by ``load_from`` (``strict=not load_from_partial``) and ``resume`` (strict).

        Args:
            filename (str): local path, URL or ``torchvision://`` name.
            map_location (str | Callable): as for :func:`torch.load`. Defaults to ``'cpu'``.
            strict (bool): refuse missing, unexpected or mis-shaped keys
                (:class:`~projects.transavs.engine.CheckpointMismatchError`, naming the file
                and the first keys); False loads what fits and logs a WARNING counting the
                rest. Defaults to True.
            revise_keys (list): ``(pattern, replacement)`` regex pairs applied to the keys.

        Returns:
            dict: the checkpoint.

        Raises:
            CheckpointMismatchError: ``strict`` and the weights do not fit the model.
            CorruptCheckpointError: the file is empty, truncated or not a checkpoint.
        """
        checkpoint = load_checkpoint_file(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        load_state_dict_checked(model, _revised_state_dict(checkpoint, revise_keys), filename,
                                strict=strict, logger=self.logger)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """mmengine's ``save_checkpoint``; local folders are written atomically.

        An explicit ``backend_args`` (e.g. ``CheckpointHook(backend_args=...)`` for a remote
        store) is used as given.
        """
        if backend_args is None and file_client_args is None and '://' not in str(out_dir):
            backend_args = dict(backend=ATOMIC_LOCAL_BACKEND)
        super().save_checkpoint(out_dir, filename, file_client_args, save_optimizer,
                                save_param_scheduler, meta, by_epoch, backend_args)

    def train(self) -> torch.nn.Module:
        """mmengine's ``train``; a full disk and a killed DataLoader worker are explained.

        Raises:
            DiskFullError: the disk filled (the file, sizes and how to resume; logged too).
            DataLoaderWorkerDied: a DataLoader worker died (the clip, the likely cause and
                how to resume; logged too).
        """
        try:
            return super().train()
        except OSError as error:
            if not is_disk_full(error):
                raise
            explained = error if isinstance(error, DiskFullError) else disk_full_error(
                self.work_dir, what='writing into')
            explained.args = (f'{explained.args[0]}. {self.resume_hint()}',)
            self.logger.error(str(explained))
            if explained is error:
                raise
            raise explained from error
        except RuntimeError as error:
            died = explain_worker_death(error, self.resume_hint())
            if died is None:
                raise
            self.logger.error(str(died))
            raise died from error

    def resume_hint(self) -> str:
        """Where the run's newest checkpoint is and the command that continues from it."""
        config = getattr(self.cfg, 'filename', None) or 'CONFIG'
        command = f'python tools/train.py {config} --work-dir {self.work_dir} --resume'
        pointer = osp.join(self.work_dir, 'last_checkpoint')
        newest = None
        if osp.isfile(pointer):
            with open(pointer) as f:
                newest = f.read().strip() or None
        if newest is None:
            return f'No checkpoint was saved yet; start again with: {command[:-9]}'
        return f'The newest checkpoint is {newest}; continue with: {command}'
