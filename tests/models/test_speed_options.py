"""Every speed option gives the plain path's results (within its precision) on the CPU."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.registry import MODELS

from projects.transavs.structures import AVSDataSample


@pytest.fixture(scope='module')
def tiny_model_cfg(repo_root):
    cfg = Config.fromfile(osp.join(repo_root, 'configs/_base_/models/transavs_tiny.py'))
    return cfg.model


def _build(cfg, **overrides):
    cfg = copy.deepcopy(cfg)
    head_overrides = overrides.pop('decode_head', {})
    cfg.update(overrides)
    cfg.decode_head.update(head_overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _batch(size=64, clips=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    samples, frames, audio = [], [], []
    for b in range(clips):
        gt = torch.zeros(5, size, size, dtype=torch.uint8)
        gt[:, 10 + 5 * b:40, 12:50] = 1
        log_mel = torch.randn(5, 1, 96, 64, generator=g)
        sample = AVSDataSample(metainfo=dict(gt_valid=[True] * 5))
        sample.gt_sem_seg = PixelData(data=gt)
        samples.append(sample)
        frames.append(torch.randint(0, 256, (5, 3, size, size), generator=g,
                                    dtype=torch.uint8))
        audio.append(log_mel)
    return dict(inputs=dict(frames=frames, audio_log_mel=audio), data_samples=samples)


def _predict(model, batch):
    """The final layer's class probabilities and mask probabilities, flattened.

    Compared instead of the eq. 14 output: at random weights every query's two real classes
    are near-ties, so a 1e-7 difference can flip a query's class (eq. 15) and a pixel's
    prediction; the network outputs themselves must agree to numerical precision.
    """
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(copy.deepcopy(batch), False)
        outs = model(**data, mode='tensor')
    return torch.cat([outs['cls_logits'][-1].float().softmax(-1).flatten(),
                      outs['mask_logits'][-1].float().sigmoid().flatten()])


def _loss_and_grads(model, batch, seed=1):
    model.train()
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    torch.manual_seed(seed)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    model.zero_grad()
    total.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return total.detach(), grads


def test_activation_checkpointing_equals_plain(tiny_model_cfg):
    batch = _batch()
    plain = _build(tiny_model_cfg)
    ckpt = _build(tiny_model_cfg, decode_head=dict(with_cp=True))
    loss_p, grads_p = _loss_and_grads(plain, batch)
    loss_c, grads_c = _loss_and_grads(ckpt, batch)
    torch.testing.assert_close(loss_c, loss_p)
    for name, grad in grads_p.items():
        torch.testing.assert_close(grads_c[name], grad, rtol=1e-4, atol=1e-6)


def test_channels_last_equals_plain(tiny_model_cfg):
    batch = _batch()
    plain = _build(tiny_model_cfg)
    fast = _build(tiny_model_cfg, channels_last=True)
    # Random initialisation fills channels-last weights in another order: same weights first.
    fast.load_state_dict(plain.state_dict())
    torch.testing.assert_close(_predict(fast, batch), _predict(plain, batch),
                               rtol=1e-4, atol=1e-5)
    assert fast.backbone.conv1.weight.is_contiguous(memory_format=torch.channels_last)


def test_bfloat16_autocast_close_to_float32(tiny_model_cfg):
    batch = _batch()
    model = _build(tiny_model_cfg)
    reference = _predict(model, batch)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        mixed = _predict(model, batch)
    assert mixed.dtype == torch.float32
    assert (mixed - reference).abs().mean() < 0.02
    # A training step through the CPU AMP wrapper (what `tools/train.py --amp` picks).
    wrapper = build_optim_wrapper(model, dict(type='CPUAmpOptimWrapper', dtype='bfloat16',
                                              optimizer=dict(type='AdamW', lr=1e-3)))
    before = model.decode_head.cls_embed.weight.clone()
    model.train()
    log = model.train_step(copy.deepcopy(batch), wrapper)
    assert torch.isfinite(log['loss'])
    assert not torch.equal(before, model.decode_head.cls_embed.weight)


def test_compile_equals_plain(tiny_model_cfg):
    batch = _batch()
    plain = _build(tiny_model_cfg)
    compiled = _build(tiny_model_cfg, compile=dict(backend='eager'))
    assert list(compiled.state_dict()) == list(plain.state_dict())  # keys unchanged
    torch.testing.assert_close(_predict(compiled, batch), _predict(plain, batch),
                               rtol=1e-4, atol=1e-5)
