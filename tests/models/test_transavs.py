"""The tiny TransAVS on CPU: loss, backward and prediction for S4- and MS3-like batches."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import load_checkpoint
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


def test_audio_backbone_is_required(tiny_cfg):
    cfg = tiny_cfg.model.copy()
    cfg['audio_backbone'] = None
    with pytest.raises(ValueError, match="audio_backbone is required.*audio_log_mel"):
        MODELS.build(cfg)


@pytest.fixture
def eval_model(repo_root, tiny_checkpoint):
    """The tiny model with weights that predict both classes (see ``tiny_checkpoint``)."""
    cfg = Config.fromfile(osp.join(repo_root, 'configs/transavs_tiny_s4.py'))
    model = MODELS.build(cfg.model)
    load_checkpoint(model, tiny_checkpoint, map_location='cpu', logger='silent')
    return model.eval()


def _network_size_prediction(model, batch):
    """Probabilities and classes at the network size: predict without data samples."""
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        preds = model.predict(data['inputs'])
    return [(p.pred_fg_prob.data, p.pred_sem_seg.data) for p in preds]


def test_predictions_restored_to_ori_shape(eval_model):
    batch = _batch(valid=[True] * 5)
    at_network = _network_size_prediction(eval_model, batch)
    assert at_network[0][0].shape == (5, 64, 64)
    samples = [AVSDataSample(metainfo=dict(ori_shape=(80, 48), img_shape=(64, 64))),
               AVSDataSample(metainfo=dict(ori_shape=(64, 64), img_shape=(64, 64)))]
    with torch.no_grad():
        preds = eval_model.test_step(dict(inputs=batch['inputs'], data_samples=samples))
    # Clip 0: (5, 64, 64) -> (5, 1, 64, 64) -> bilinear (5, 1, 80, 48) -> (5, 80, 48).
    expected = F.interpolate(at_network[0][0][:, None], size=(80, 48), mode='bilinear',
                             align_corners=False)[:, 0]
    prob = preds[0].pred_fg_prob.data
    assert prob.shape == (5, 80, 48) and prob.dtype == torch.float32
    torch.testing.assert_close(prob, expected.clamp(0, 1))
    assert torch.equal(preds[0].pred_sem_seg.data, (prob > 0.5).to(torch.uint8))
    assert 0 < preds[0].pred_sem_seg.data.float().mean() < 1  # the threshold means something
    # Clip 1 is at its original size already: unchanged.
    assert torch.equal(preds[1].pred_fg_prob.data, at_network[1][0])
    assert torch.equal(preds[1].pred_sem_seg.data, at_network[1][1])


def test_predictions_follow_the_ground_truth_size(eval_model):
    # The datasets resize the ground truth to the network input, and AVSMetric compares at
    # its size: a sample with ground truth keeps that size whatever its ori_shape.
    batch = _batch(valid=[True] * 5)
    at_network = _network_size_prediction(eval_model, batch)
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(ori_shape=(96, 96)))
    with torch.no_grad():
        preds = eval_model.test_step(batch)
    for pred, (prob, classes) in zip(preds, at_network):
        assert torch.equal(pred.pred_fg_prob.data, prob)
        assert torch.equal(pred.pred_sem_seg.data, classes)
    sample = AVSDataSample(metainfo=dict(ori_shape=(96, 96)))
    sample.gt_sem_seg = PixelData(data=torch.zeros(5, 32, 40, dtype=torch.uint8))
    out = eval_model.postprocess_result(at_network[0][0][None], [sample])[0]
    assert out.pred_fg_prob.data.shape == out.pred_sem_seg.data.shape == (5, 32, 40)


def test_class_maps_resized_with_nearest_neighbour(tiny_cfg):
    cfg = copy.deepcopy(tiny_cfg.model)
    cfg.decode_head.update(num_classes=3, cls_prior_prob=0.1)
    model = MODELS.build(cfg)
    classes = torch.tensor([[0, 1], [2, 0]]).expand(1, 5, 2, 2)  # [B, T, h, w]
    probs = torch.tensor([[0.2, 0.7], [0.9, 0.4]]).expand(1, 5, 2, 2)
    sample = AVSDataSample(metainfo=dict(ori_shape=(4, 4)))
    out = model.postprocess_result(probs, [sample], classes)[0]
    expected = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 0, 0], [2, 2, 0, 0]])
    assert torch.equal(out.pred_sem_seg.data, expected.expand(5, 4, 4).to(torch.uint8))
    assert out.pred_fg_prob.data.shape == (5, 4, 4)


def test_preprocessor_errors(tiny_cfg):
    model = MODELS.build(tiny_cfg.model)
    batch = _batch(valid=[True] * 5)
    batch['inputs']['frames'][1] = batch['inputs']['frames'][1][:, :, :32]
    with pytest.raises(ValueError, match='one shape'):
        model.data_preprocessor(batch, False)
    batch = _batch(valid=[True] * 5)
    log_mel = batch['inputs'].pop('audio_log_mel')
    with pytest.raises(KeyError, match="no audio in inputs; expected 'audio_log_mel'"):
        model.data_preprocessor(batch, False)
    # Waveforms are turned into log-mels in the pipeline (WaveformToLogMel), not here.
    batch['inputs']['audio_wave'] = [torch.zeros(80000) for _ in range(2)]
    with pytest.raises(KeyError, match='no audio'):
        model.data_preprocessor(batch, False)
    batch['inputs']['audio_log_mel'] = [t[..., :32] for t in log_mel]
    with pytest.raises(ValueError, match=r'must be \[B, T, 1, 96, 64\], got \(2, 5, 1, 96, 32\)'):
        model.data_preprocessor(batch, False)
    batch['inputs']['audio_log_mel'] = [t[:3] for t in log_mel]
    with pytest.raises(ValueError, match='one frame per second'):
        model.data_preprocessor(batch, False)
    batch['inputs']['frame_seconds'] = [torch.tensor([0, 1, 2, 2, 3])] * 2
    with pytest.raises(ValueError, match='indices below 3'):
        model.data_preprocessor(batch, False)


def test_padded_frames_reach_the_criterion(tiny_cfg):
    """``frame_padded`` (AVSBench-semantic's padded v1 frames) goes from the samples to the
    criterion: with every frame padded, AQDL / AQML see no frame at all."""
    batch = _batch(valid=[True] * 5)
    batch['data_samples'][0].set_metainfo(dict(frame_padded=[False, False, True, True, True]))
    flags = MODELS.get('TransAVS').padded_tensor(batch['data_samples'], torch.zeros(10))
    assert flags.tolist() == [False, False, True, True, True] + [False] * 5
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg.model)
    model.init_weights()
    model.set_confidence_thresholds(0.0, 0.0)  # every query selected
    model.decode_head.criterion.confidence = 'max_class'
    data = model.data_preprocessor(batch, True)
    assert model(**data, mode='loss')['aqdl_s1'] > 0
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(frame_padded=[True] * 5))
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    assert losses['aqdl_s1'] == 0 and losses['loss_aqdl'] == 0 and losses['loss_aqml'] == 0
    batch['data_samples'][1].set_metainfo(dict(frame_padded=[True] * 4))
    with pytest.raises(ValueError, match='frame_padded has 4 flags for 5 ground-truth frames'):
        model(**model.data_preprocessor(batch, True), mode='loss')
