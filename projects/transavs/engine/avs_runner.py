"""mmengine's Runner with restricted checkpoint loading and crash-safe checkpoint saving.

Selected by ``runner_type = 'mmseg.AVSRunner'`` in the configs' runtime base (mmseg's and our
``tools/train.py`` / ``tools/test.py`` build ``runner_type`` with ``RUNNERS.build``). What it
changes, for this runner only (nothing is switched process-wide):

- ``load_from`` / ``--resume`` / ``Runner.load_checkpoint`` read checkpoints with
  ``weights_only=True`` and the allow-list of mmengine's own checkpoint contents
  (:func:`~projects.transavs.engine.load_checkpoint_file`); a checkpoint holding anything else
  is refused, never executed;
- ``init_cfg=dict(type='Pretrained', ...)`` weights load with that allow-list in effect;
- checkpoints of local work dirs are written atomically (``AtomicLocalBackend``): a crash or
  a kill while saving leaves the previous checkpoint, never a truncated one.
"""
from typing import Callable, Optional, Union

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmseg.registry import RUNNERS

from .atomic_local_backend import ATOMIC_LOCAL_BACKEND, register_atomic_local_backend
from .safe_checkpoint import checkpoint_safe_globals, load_checkpoint_file

__all__ = ['AVSRunner']


@RUNNERS.register_module()
class AVSRunner(Runner):
    """:class:`mmengine.runner.Runner` that loads checkpoints restricted and saves them atomically.

    Takes the arguments of :class:`mmengine.runner.Runner`.
    """

    def __init__(self, *args, **kwargs) -> None:
        register_atomic_local_backend()
        super().__init__(*args, **kwargs)

    def _init_model_weights(self) -> None:
        """``init_weights`` with mmengine's checkpoint globals allowed for ``Pretrained``."""
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            super()._init_model_weights()

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]) -> dict:
        """Loads a checkpoint into the model, with restricted unpickling.

        Args:
            filename (str): local path, URL or ``torchvision://`` name.
            map_location (str | Callable): as for :func:`torch.load`. Defaults to ``'cpu'``.
            strict (bool): refuse missing or unexpected keys. Defaults to False.
            revise_keys (list): ``(pattern, replacement)`` regex pairs applied to the keys.

        Returns:
            dict: the checkpoint.
        """
        checkpoint = load_checkpoint_file(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict,
                                               revise_keys=revise_keys)
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
