"""Training with negative audio (RandomNegativeAudio, off by default): clips of a generated S4
split with negative audio get an empty target, and the tiny model trains on them."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmseg.registry import DATASETS, MODELS

import projects.transavs  # noqa: F401  (registers the modules)


def _pipeline(s4_root, prob):
    negative = dict(
        type='RandomNegativeAudio', prob=prob, conditions=['silence', 'noise', 'off-screen'],
        off_screen=dict(dataset=dict(type='AVSBenchS4Dataset', data_root=s4_root,
                                     split='train'),
                        audio_pipeline=[dict(type='LoadAudioLogMel', source='pkl')]))
    return [dict(type='LoadClipFrames', scale=(64, 64)),
            dict(type='LoadClipMasks', scale=(64, 64)),
            dict(type='LoadAudioLogMel', source='pkl'), negative,
            dict(type='ClipInstanceTargets'),  # as configs/transavs_r50_s4_negatives.py
            dict(type='PackAVSInputs')]


def test_negative_clips_train_with_an_empty_target(s4_root, repo_root):
    dataset = DATASETS.build(dict(type='AVSBenchS4Dataset', data_root=s4_root, split='train',
                                  pipeline=_pipeline(s4_root, 1.0)))
    positive = DATASETS.build(dict(type='AVSBenchS4Dataset', data_root=s4_root, split='train',
                                   pipeline=_pipeline(s4_root, 0.0)))
    samples = [dataset[i] for i in range(len(dataset))]
    for sample, plain in zip(samples, (positive[i] for i in range(len(positive)))):
        meta = sample['data_samples'].metainfo
        assert meta['audio_condition'] in ('silence', 'noise', 'off-screen')
        assert sample['data_samples'].gt_sem_seg.data.sum() == 0
        assert sample['data_samples'].gt_instance_labels[0].tolist()[:2] == [0, -1]
        assert plain['data_samples'].gt_instance_labels[0].tolist()[:2] == [0, 1]
        assert not torch.equal(sample['inputs']['audio_log_mel'],
                               plain['inputs']['audio_log_mel'])
        assert plain['data_samples'].metainfo['audio_condition'] == 'positive'
        assert plain['data_samples'].gt_sem_seg.data.sum() > 0
    cfg = Config.fromfile(osp.join(repo_root, 'configs/_base_/models/transavs_tiny.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(pseudo_collate(samples[:2]), True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total) and total > 0
    total.backward()
    grad = dict(model.named_parameters())['decode_head.cls_embed.weight'].grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0
