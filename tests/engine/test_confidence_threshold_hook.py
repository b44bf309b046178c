"""The eq. 18 threshold schedule and the hook that applies it."""
import pytest
from toy_runner import ToyModel, train_toy

from projects.transavs.engine import ConfidenceThresholdHook, confidence_threshold
from projects.transavs.models.losses import AQDLoss, AQMLoss


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


def test_hook_sets_losses_during_training(tmp_path):
    aqdl, aqml = AQDLoss(d0=1.0), AQMLoss()
    runner = train_toy(
        str(tmp_path), max_iters=5, model=ToyModel(extra=[aqdl, aqml]),
        custom_hooks=[dict(type='ConfidenceThresholdHook', a=0.5, b=0.7, n_iter=2,
                           num_steps=4, delta2=0.6)])
    # The last iteration is runner.iter == 4 -> floor(4 / 2) = 2 steps of 0.05.
    assert aqdl.threshold == pytest.approx(0.6)
    assert aqml.threshold == pytest.approx(0.6)
    history = runner.message_hub.get_scalar('train/delta1').data[0]
    assert list(history) == pytest.approx([0.5, 0.5, 0.55, 0.55, 0.6])
    assert runner.message_hub.get_scalar('train/delta2').current() == pytest.approx(0.6)
