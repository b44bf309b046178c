"""The eq. 18 threshold schedule and the hook that applies it."""
import pytest
from toy_runner import ToyModel, train_toy

from projects.transavs.engine import ConfidenceThresholdHook, confidence_threshold


@pytest.mark.parametrize('iteration,expected', [
    (0, 0.55), (4999, 0.55), (5000, 0.55 + 0.1 / 18), (10000, 0.55 + 0.2 / 18),
    (89999, 0.55 + 0.1 * 17 / 18), (90000, 0.65), (200000, 0.65)])
def test_schedule_values(iteration, expected):
    assert confidence_threshold(iteration) == pytest.approx(expected, abs=1e-12)


def test_fixed_modes():
    hook = ConfidenceThresholdHook(delta1=0.6)
    assert hook.thresholds(50000) == (0.6, pytest.approx(0.55 + 0.1 * 10 / 18))
    hook = ConfidenceThresholdHook(delta2=0.6)
    assert hook.thresholds(0) == (0.55, 0.6)


class ThresholdModel(ToyModel):
    """Records what the hook sets, as TransAVS.set_confidence_thresholds receives it."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def set_confidence_thresholds(self, delta1, delta2):
        self.calls.append((delta1, delta2))


def test_hook_sets_thresholds_during_training(tmp_path):
    model = ThresholdModel()
    runner = train_toy(
        str(tmp_path), max_iters=5, model=model,
        custom_hooks=[dict(type='ConfidenceThresholdHook', a=0.5, b=0.7, n_iter=2,
                           num_steps=4, delta2=0.6)])
    # Iterations 0..4 -> floor(iter / 2) = 0, 0, 1, 1, 2 steps of 0.05; delta2 fixed.
    assert [d1 for d1, _ in model.calls] == pytest.approx([0.5, 0.5, 0.55, 0.55, 0.6])
    assert all(d2 == pytest.approx(0.6) for _, d2 in model.calls)
    history = runner.message_hub.get_scalar('train/delta1').data[0]
    assert list(history) == pytest.approx([0.5, 0.5, 0.55, 0.55, 0.6])
    assert runner.message_hub.get_scalar('train/delta2').current() == pytest.approx(0.6)


def test_hook_refuses_a_model_without_thresholds(tmp_path):
    with pytest.raises(TypeError, match='set_confidence_thresholds'):
        train_toy(str(tmp_path), max_iters=1,
                  custom_hooks=[dict(type='ConfidenceThresholdHook')])


def test_hook_reaches_the_transavs_criterion(repo_root):
    """Through TransAVS -> head -> criterion, the only path the hook uses."""
    import os.path as osp

    from mmengine.config import Config
    from mmseg.registry import MODELS

    cfg = Config.fromfile(osp.join(repo_root, 'configs/_base_/models/transavs_tiny.py'))
    model = MODELS.build(cfg.model)
    model.set_confidence_thresholds(0.61, 0.62)
    criterion = model.decode_head.criterion
    assert (criterion.delta1, criterion.delta2) == (0.61, 0.62)
