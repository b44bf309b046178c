"""Stops training at the first iteration whose loss or gradient norm is NaN or infinite.

mmengine's loop goes on when a loss becomes NaN: the weights turn NaN at that step, every
later checkpoint holds them, and ``save_best`` can even pick one of them, which testing and
inference then use. A diverged run (a learning-rate typo, one training clip with huge but
finite log-mels) must stop at once and say where: this hook raises
:class:`NonFiniteLossError` after the iteration's update, naming the iteration, the
non-finite terms and the clips of the batch (in a distributed run every process stops at the
same iteration: the flag is all-reduced, one number per iteration). Its priority
(``ABOVE_NORMAL``) runs it before the checkpoint hook, so the diverged weights are never
saved and the newest checkpoint on disk stays the last good one (``--resume`` starts from
it).

Checked per iteration: every logged term whose name contains ``loss`` (one host
synchronisation for all; mmengine's logging synchronises on them anyway) and the gradient
norm that mmengine's optimizer wrapper records when ``clip_grad`` is set
(``train/grad_norm``), except under fp16 AMP with a loss scaler, which skips the steps whose
gradients overflow by design. Written here because neither mmengine nor mmseg has such a
check (mmdet's ``CheckInvalidLossHook`` looks every ``interval`` iterations, at
``outputs['loss']`` only, and with an ``assert``).
"""
import math
from typing import Any, List, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...datasets.loading_tracker import clip_label

__all__ = ['NonFiniteLossError', 'NonFiniteLossHook', 'batch_clip_names']

#: How many clip names an error message lists.
SHOWN_CLIPS = 8


class NonFiniteLossError(FloatingPointError):
    """A training loss or gradient norm became NaN or infinite."""


def batch_clip_names(data_batch: Any) -> List[str]:
    """The clips of a training batch, ``subset/video_name`` where the metainfo has them."""
    samples = data_batch.get('data_samples', []) if isinstance(data_batch, dict) else []
    return [clip_label(getattr(sample, 'metainfo', {}) or {}, index)
            for index, sample in enumerate(samples or [])]


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raises :class:`NonFiniteLossError` when an iteration's loss or gradient is not finite.

    Args:
        check_grad_norm (bool): also check the gradient norm that the optimizer wrapper
            logs (``clip_grad`` set). Defaults to True.
    """

    priority = 'ABOVE_NORMAL'  # before the checkpoint hook (VERY_LOW) saves anything

    def __init__(self, check_grad_norm: bool = True) -> None:
        self.check_grad_norm = check_grad_norm

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        terms = {k: v for k, v in (outputs or {}).items() if 'loss' in k and _is_number(v)}
        tensors = [v.detach().float().reshape(-1) for v in terms.values()
                   if isinstance(v, torch.Tensor)]
        finite = all(math.isfinite(float(v)) for v in terms.values()
                     if not isinstance(v, torch.Tensor))
        if tensors and finite:  # one host synchronisation for all tensor terms
            finite = bool(torch.isfinite(torch.cat(tensors)).all())
        bad = [] if finite else [(k, v) for k, v in terms.items()
                                 if not math.isfinite(_as_float(v))]
        # fp16 AMP's loss scaler meets infinite gradients by design (it skips that step and
        # lowers the scale): the gradient norm says nothing there
        scaled = getattr(getattr(runner, 'optim_wrapper', None), 'loss_scaler', None)
        if self.check_grad_norm and scaled is None:
            scalars = runner.message_hub.log_scalars
            if 'train/grad_norm' in scalars:
                grad_norm = scalars['train/grad_norm'].current()
                if _is_number(grad_norm) and not math.isfinite(float(grad_norm)):
                    bad.append(('grad_norm', grad_norm))
        if get_world_size() > 1:  # every process stops at the same iteration, none waits
            flag = torch.tensor([float(bool(bad))])
            all_reduce(flag, op='sum')
            if flag.item() > 0 and not bad:
                bad = [('loss in another process', float('nan'))]
        if not bad:
            return
        clips = batch_clip_names(data_batch)
        shown = ', '.join(clips[:SHOWN_CLIPS]) + (
            f', ... ({len(clips) - SHOWN_CLIPS} more)' if len(clips) > SHOWN_CLIPS else '')
        terms = ', '.join(f'{k}={_as_float(v)}' for k, v in bad)
        raise NonFiniteLossError(
            f'training diverged at iteration {runner.iter + 1}: {terms}; the batch held the '
            f'clips {shown or "(names unknown)"}. Training stopped before saving these '
            'weights: the newest checkpoint in the work_dir, if any, is the last good one. '
            'Check the '
            'learning rate (optim_wrapper.optimizer.lr) and these clips\' inputs (frames, '
            'log-mels); --resume restarts from that checkpoint.')


def _as_float(value: Any) -> float:
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


def _is_number(value: Any) -> bool:
    """A Python number or a one-element tensor."""
    if isinstance(value, torch.Tensor):
        return value.numel() == 1
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


