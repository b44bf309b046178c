"""The confidence-threshold schedule of AQDL and AQML (paper eq. 18)."""
import math
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

__all__ = ['ConfidenceThresholdHook', 'confidence_threshold']


def confidence_threshold(iteration: int,
                         a: float = 0.55,
                         b: float = 0.65,
                         n_iter: int = 5000,
                         num_steps: int = 18) -> float:
    """Eq. 18: ``delta = a + (b - a) / num_steps * floor(iteration / n_iter)``.

    The step count is capped at ``num_steps``, so delta stays at ``b`` after
    ``num_steps * n_iter`` iterations (90k in the paper, where training ends).

    Args:
        iteration (int): the current iteration (0-based, as mmengine's ``runner.iter``).
        a (float): start value. Defaults to 0.55.
        b (float): final value. Defaults to 0.65.
        n_iter (int): iterations per step. Defaults to 5000.
        num_steps (int): number of steps from ``a`` to ``b``. Defaults to 18.

    Returns:
        float: the threshold.
    """
    steps = min(math.floor(iteration / n_iter), num_steps)
    return a + (b - a) / num_steps * steps


@HOOKS.register_module()
class ConfidenceThresholdHook(Hook):
    """Sets delta1 (AQDL) and delta2 (AQML) before every training iteration, through the
    model's ``set_confidence_thresholds(delta1, delta2)``.

    Both thresholds follow eq. 18 unless fixed (the paper's ablation "only fixed
    delta1 = 0.6" keeps delta1 at 0.6 and schedules delta2). The values are a function of
    the iteration only, so a resumed run continues the schedule where it stopped. They are
    logged as ``delta1`` and ``delta2``.

    Args:
        a (float): start value of eq. 18. Defaults to 0.55.
        b (float): final value. Defaults to 0.65.
        n_iter (int): iterations per step. Defaults to 5000.
        num_steps (int): steps from ``a`` to ``b``. Defaults to 18.
        delta1 (float, optional): fix delta1 to this value instead of the schedule.
        delta2 (float, optional): fix delta2 to this value instead of the schedule.
    """

    priority = 'NORMAL'

    def __init__(self,
                 a: float = 0.55,
                 b: float = 0.65,
                 n_iter: int = 5000,
                 num_steps: int = 18,
                 delta1: Optional[float] = None,
                 delta2: Optional[float] = None) -> None:
        if n_iter <= 0 or num_steps <= 0:
            raise ValueError('ConfidenceThresholdHook: n_iter and num_steps must be positive')
        self.a, self.b = float(a), float(b)
        self.n_iter, self.num_steps = int(n_iter), int(num_steps)
        self.delta1, self.delta2 = delta1, delta2

    def thresholds(self, iteration: int):
        """``(delta1, delta2)`` at ``iteration``."""
        scheduled = confidence_threshold(iteration, self.a, self.b, self.n_iter,
                                         self.num_steps)
        return (scheduled if self.delta1 is None else float(self.delta1),
                scheduled if self.delta2 is None else float(self.delta2))

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_train(self, runner) -> None:
        if not hasattr(self._model(runner), 'set_confidence_thresholds'):
            raise TypeError(f'ConfidenceThresholdHook: {type(self._model(runner)).__name__} '
                            'has no set_confidence_thresholds(delta1, delta2) method; use it '
                            'with TransAVS (or remove the hook)')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        delta1, delta2 = self.thresholds(runner.iter)
        self._model(runner).set_confidence_thresholds(delta1, delta2)
        runner.message_hub.update_scalar('train/delta1', delta1)
        runner.message_hub.update_scalar('train/delta2', delta2)
