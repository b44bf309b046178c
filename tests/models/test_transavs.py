"""The tiny TransAVS on CPU: loss, backward and prediction for S4- and MS3-like batches."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS

from projects.transavs.structures import AVSDataSample


@pytest.fixture(scope='module')
def tiny_cfg(repo_root):
    return Config.fromfile(osp.join(repo_root, 'configs/_base_/models/transavs_tiny.py'))


def _batch(valid, empty_frames=(), clips=2, frames=5, size=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    samples, frame_list, audio = [], [], []
    for b in range(clips):
        gt = torch.zeros(frames, size, size, dtype=torch.uint8)
        gt[:, 8 + 4 * b:40, 16:48] = 1
        for t in empty_frames:
            gt[t] = 0
        sample = AVSDataSample(metainfo=dict(gt_valid=list(valid), num_frames=frames))
        sample.gt_sem_seg = PixelData(data=gt)
        samples.append(sample)
        frame_list.append(torch.randint(0, 256, (frames, 3, size, size), generator=g,
                                        dtype=torch.uint8))
        audio.append(torch.randn(frames, 1, 96, 64, generator=g))
    return dict(inputs=dict(frames=frame_list, audio_log_mel=audio), data_samples=samples)


@pytest.mark.parametrize('case', ['s4_train', 'ms3'])
def test_loss_backward_predict(tiny_cfg, case):
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg.model)
    model.init_weights()
    if case == 's4_train':  # only the first frame annotated
        batch = _batch(valid=[True, False, False, False, False])
    else:  # all annotated, one silent frame
        batch = _batch(valid=[True] * 5, empty_frames=(2, ))
    data = model.data_preprocessor(batch, True)
    assert data['inputs']['frames'].shape == (2, 5, 3, 64, 64)
    model.train()
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total) and total > 0
    total.backward()
    for name in ('backbone.conv1.weight', 'neck.fpn.lateral_convs.0.conv.weight',
                 'decode_head.query_encoder.mix.weight', 'decode_head.mask_proj.weight',
                 'audio_backbone.features.0.weight'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name

    model.eval()
    with torch.no_grad():
        preds = model(**model.data_preprocessor(batch, False), mode='predict')
    assert len(preds) == 2
    for pred in preds:
        prob = pred.pred_fg_prob.data
        assert prob.shape == (5, 64, 64) and prob.dtype == torch.float32
        assert 0 <= prob.min() and prob.max() <= 1
        assert torch.equal(pred.pred_sem_seg.data, (prob > 0.5).to(torch.uint8))
        assert 'gt_sem_seg' in pred  # ground truth kept for the evaluator


def test_audio_changes_prediction(tiny_cfg):
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg.model)
    model.init_weights()
    model.eval()
    batch = _batch(valid=[True] * 5)
    data = model.data_preprocessor(batch, False)
    with torch.no_grad():
        a = model(**data, mode='tensor')['mask_logits'][-1]
        data['inputs']['audio_log_mel'] = torch.zeros_like(data['inputs']['audio_log_mel'])
        b = model(**data, mode='tensor')['mask_logits'][-1]
    assert not torch.allclose(a, b)


def test_cached_embeddings_skip_audio_backbone(tiny_cfg):
    cfg = tiny_cfg.model.copy()
    cfg['audio_backbone'] = None
    model = MODELS.build(cfg)
    batch = _batch(valid=[True] * 5)
    batch['inputs'].pop('audio_log_mel')
    batch['inputs']['audio_embed'] = [torch.rand(5, 128) for _ in range(2)]
    data = model.data_preprocessor(batch, False)
    model.eval()
    with torch.no_grad():
        preds = model(**data, mode='predict')
    assert preds[0].pred_fg_prob.data.shape == (5, 64, 64)
    batch['inputs'].pop('audio_embed')
    batch['inputs']['audio_log_mel'] = [torch.randn(5, 1, 96, 64) for _ in range(2)]
    with pytest.raises(ValueError, match='without audio_backbone'):
        model(**model.data_preprocessor(batch, False), mode='predict')


def test_preprocessor_errors(tiny_cfg):
    model = MODELS.build(tiny_cfg.model)
    batch = _batch(valid=[True] * 5)
    batch['inputs']['frames'][1] = batch['inputs']['frames'][1][:, :, :32]
    with pytest.raises(ValueError, match='one shape'):
        model.data_preprocessor(batch, False)
    batch = _batch(valid=[True] * 5)
    batch['inputs'].pop('audio_log_mel')
    with pytest.raises(KeyError, match='no audio'):
        model.data_preprocessor(batch, False)
