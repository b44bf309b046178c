"""A diverged run stops at the iteration that diverged, saves nothing from it, and its
non-finite weights are refused by every loader."""
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from toy_runner import ToyModel, train_toy

from projects.transavs.engine import (
    NonFiniteCheckpointError,
    NonFiniteLossError,
    load_checkpoint_to_model,
    safe_torch_load,
)
from projects.transavs.engine.hooks import batch_clip_names
from projects.transavs.structures import AVSDataSample


class _DivergesAt(ToyModel):
    """A toy regressor whose loss becomes ``value`` from training step ``step`` on."""

    def __init__(self, step, value):
        super().__init__()
        self.step, self.value, self.calls = step, value, 0

    def forward(self, inputs, labels=None, mode='tensor'):
        out = super().forward(inputs, labels, mode)
        if mode == 'loss':
            self.calls += 1
            if self.calls >= self.step:
                out['loss'] = out['loss'] * self.value
        return out


@pytest.mark.parametrize('value', [float('nan'), float('inf')])
def test_training_stops_at_the_diverged_iteration(tmp_path, value):
    work = str(tmp_path / 'work')
    with pytest.raises(NonFiniteLossError, match=r'training diverged at iteration 3: '
                       r'loss=(nan|inf).*newest checkpoint in the work_dir, if any, is the '
                       r'last good'):
        train_toy(work, max_iters=6, model=_DivergesAt(3, value),
                  custom_hooks=[dict(type='NonFiniteLossHook')])
    # checkpoints every 2 iterations: iteration 2 was saved, nothing after it
    assert sorted(n for n in os.listdir(work) if n.endswith('.pth')) == ['iter_2.pth']
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('iter_2.pth')
    state = safe_torch_load(osp.join(work, 'iter_2.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values())


def test_without_the_hook_the_nan_weights_are_saved(tmp_path):
    """What the hook prevents (mmengine's loop alone goes on and saves NaN weights)."""
    work = str(tmp_path / 'work')
    train_toy(work, max_iters=4, model=_DivergesAt(3, float('nan')))
    state = safe_torch_load(osp.join(work, 'iter_4.pth'))['state_dict']
    assert not torch.isfinite(state['linear.weight']).all()
    with pytest.raises(NonFiniteCheckpointError,
                       match=r'iter_4.pth: 2 weight tensor\(s\) hold NaN or infinite values '
                       r'\(linear.weight, linear.bias\).*Nothing was loaded'):
        load_checkpoint_to_model(ToyModel(), osp.join(work, 'iter_4.pth'))
    with pytest.raises(NonFiniteCheckpointError):  # also when partial loading is opted in
        load_checkpoint_to_model(ToyModel(), osp.join(work, 'iter_4.pth'), strict=False)


def test_batch_clip_names():
    samples = []
    for meta in (dict(video_name='abc', subset='s4'), dict(uid='u1'), dict()):
        sample = AVSDataSample()
        sample.set_metainfo(meta)
        samples.append(sample)
    assert batch_clip_names(dict(data_samples=samples)) == [
        's4/abc', 'u1', '#2 (no video_name)']
    assert batch_clip_names(None) == []


def test_configs_carry_the_hook(repo_root):
    for name in ('transavs_r50_s4.py', 'transavs_tiny_demo.py', 'transavs_swin-b_avss.py'):
        cfg = Config.fromfile(osp.join(repo_root, 'configs', name))
        assert cfg.default_hooks.non_finite == dict(type='NonFiniteLossHook'), name


class _InfiniteGradient(torch.autograd.Function):
    """Identity forward; an infinite gradient backward."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * float('inf')


def test_infinite_gradient_norm_stops_training(tmp_path):
    """A finite loss whose gradient overflows (logged by the optimizer wrapper's clip_grad)."""
    class _HugeGrad(ToyModel):
        def forward(self, inputs, labels=None, mode='tensor'):
            out = super().forward(inputs, labels, mode)
            if mode == 'loss':
                out['loss'] = _InfiniteGradient.apply(out['loss'])
            return out

    with pytest.raises(NonFiniteLossError, match=r'iteration 1: grad_norm=(inf|nan); '):
        train_toy(str(tmp_path / 'work'), max_iters=2, model=_HugeGrad(),
                  custom_hooks=[dict(type='NonFiniteLossHook')],
                  optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.01),
                                     clip_grad=dict(max_norm=1.0)))
