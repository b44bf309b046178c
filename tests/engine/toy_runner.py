"""A tiny mmengine training set-up for engine tests (runs in well under a second)."""
import itertools

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from projects.transavs.engine import AVSRunner

_RUNS = itertools.count()


class ToyModel(BaseModel):
    """A linear regressor; ``extra`` modules ride along (e.g. losses a hook updates)."""

    def __init__(self, extra=None):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.extra = nn.ModuleList(extra or [])

    def forward(self, inputs, labels=None, mode='tensor'):
        inputs = torch.stack(inputs) if isinstance(inputs, list) else inputs
        out = self.linear(inputs)
        if mode == 'loss':
            labels = torch.stack(labels) if isinstance(labels, list) else labels
            return dict(loss=((out - labels)**2).mean())
        return out


class ToyDataset(torch.utils.data.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, idx):
        x = torch.tensor([idx / 8, 1.0])
        return dict(inputs=x, labels=x.sum(0, keepdim=True))


def train_toy(work_dir, max_iters=4, resume=False, model=None, custom_hooks=None,
              max_keep_ckpts=-1, load_from=None, cfg=None, **runner_kwargs):
    """Trains :class:`ToyModel` with :class:`AVSRunner`, a checkpoint every 2 iterations.

    ``max_keep_ckpts`` goes to the ``CheckpointHook``; ``load_from``, ``cfg`` (the runner's
    config, e.g. ``dict(load_from_partial=True)``) and ``runner_kwargs`` to :class:`AVSRunner`
    (``optim_wrapper`` there replaces AdamW with lr 0.01).

    Returns:
        AVSRunner: the runner after training.
    """
    runner = AVSRunner(
        model=model or ToyModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=runner_kwargs.pop('optim_wrapper', None) or dict(
            optimizer=dict(type='AdamW', lr=0.01)),
        param_scheduler=dict(type='LinearLR', start_factor=0.5, by_epoch=False, end=4),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False,
                                           max_keep_ckpts=max_keep_ckpts)),
        custom_hooks=custom_hooks,
        resume=resume,
        load_from=load_from,
        cfg=cfg,
        default_scope='mmseg',
        randomness=dict(seed=0),
        experiment_name=f'toy_{max_iters}_{resume}_{next(_RUNS)}',
        **runner_kwargs)
    runner.train()
    return runner
