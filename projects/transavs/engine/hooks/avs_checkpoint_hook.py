"""mmengine's ``CheckpointHook`` with an order of operations that survives a kill at any moment.

mmengine 0.10.7's ``CheckpointHook._save_checkpoint_with_step`` first deletes the checkpoint
that falls out of ``max_keep_ckpts``, then writes the new one, then writes ``last_checkpoint``
with a plain ``open(..., 'w')``. With ``max_keep_ckpts=1`` a kill during the write leaves no
checkpoint at all, and ``last_checkpoint`` names the deleted one (or is empty, if the kill
comes while it is being rewritten).

:class:`AVSCheckpointHook` keeps mmengine's behaviour and bookkeeping (``keep_ckpt_ids`` in the
message hub, the checkpoint names) but

1. writes the new checkpoint (atomically, through :class:`~projects.transavs.engine.AVSRunner`),
2. then writes ``last_checkpoint`` atomically (temporary file + rename),
3. and only then deletes the checkpoints that fall out of ``max_keep_ckpts``,

so at every moment the folder holds a complete checkpoint and ``last_checkpoint`` names a
complete one. Orphan temporary files of interrupted atomic writes are removed when training
starts and after each save. :class:`~projects.transavs.engine.AVSRunner` uses it in place of
every plain ``CheckpointHook``; it can also be named in a config
(``default_hooks.checkpoint.type = 'AVSCheckpointHook'``).
"""
import difflib
import inspect
import os.path as osp
from typing import List

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmseg.registry import HOOKS

from ..atomic_local_backend import atomic_write_bytes, remove_orphan_temporaries

__all__ = ['AVSCheckpointHook']


@HOOKS.register_module()
class AVSCheckpointHook(CheckpointHook):
    """``CheckpointHook`` that deletes old checkpoints only after the new one is complete.

    Takes the arguments of :class:`mmengine.hooks.CheckpointHook`. An unknown argument (a
    misspelt ``intervall``) is refused when the hook is built, naming the closest known
    ones; mmengine's hook keeps it and fails only at the first save, thousands of
    iterations in, with nothing saved.
    """

    def __init__(self, *args, **kwargs) -> None:
        known = [name for name in inspect.signature(CheckpointHook.__init__).parameters
                 if name not in ('self', 'kwargs')]
        unknown = sorted(k for k in kwargs if k not in known)
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, known, n=1)
                hints.append(f'{key!r}' + (f' (did you mean {close[0]!r}?)' if close else ''))
            raise TypeError(
                f'default_hooks.checkpoint: unknown argument(s) {", ".join(hints)}; the '
                f'checkpoint hook takes {", ".join(known)}')
        super().__init__(*args, **kwargs)

    def before_train(self, runner) -> None:
        """mmengine's set-up, then removes orphan temporaries of interrupted saves.

        Args:
            runner (Runner): the training runner.
        """
        super().before_train(runner)
        self._remove_orphans(runner)

    def _remove_orphans(self, runner) -> None:
        """Deletes leftover ``.*.tmp`` files of the atomic backend in the checkpoint folders."""
        if not is_main_process():
            return
        folders = {runner.work_dir}
        if '://' not in str(self.out_dir):
            folders.add(str(self.out_dir))
        for folder in sorted(folders):
            for path in remove_orphan_temporaries(folder):
                runner.logger.info(f'Removed {path}, left by an interrupted checkpoint save.')

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        """Saves ``step``'s checkpoint, updates ``last_checkpoint``, then prunes old ones.

        Args:
            runner (Runner): the training runner.
            step (int): the epoch or iteration in the checkpoint's name.
            meta (dict): the checkpoint's ``meta``.
        """
        outdated: List[int] = []
        if self.max_keep_ckpts > 0:
            # As mmengine: _save_checkpoint and _save_best_checkpoint may both save ``step``.
            if not (len(self.keep_ckpt_ids) > 0 and self.keep_ckpt_ids[-1] == step):
                if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                    outdated.append(self.keep_ckpt_ids.popleft())
                self.keep_ckpt_ids.append(step)
                runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)

        # Model parallel-like training pulls sharded states from all ranks; only the main
        # process writes the pointer and prunes.
        if not is_main_process():
            return

        atomic_write_bytes(str(self.last_ckpt).encode('utf-8'),
                           osp.join(runner.work_dir, 'last_checkpoint'))

        for old in outdated:
            if old == step:
                continue
            ckpt_path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old))
            if self.file_backend.isfile(ckpt_path):
                self.file_backend.remove(ckpt_path)
            elif self.file_backend.isdir(ckpt_path):
                # checkpoints saved by deepspeed are directories
                self.file_backend.rmtree(ckpt_path)
        self._remove_orphans(runner)
