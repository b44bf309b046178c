"""End to end: the base dataset configs + dataset + full pipeline + pseudo_collate."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmseg.registry import DATASETS, MODELS

from projects.transavs.datasets.safe_pickle import load_tensor_pickle
from projects.transavs.structures import AVSDataSample

CONFIG_DIR = osp.join('configs', '_base_', 'datasets')


def _dataset(repo_root, subset, data_root, split, extra_transforms=()):
    cfg = Config.fromfile(osp.join(repo_root, CONFIG_DIR, f'avsbench_{subset}.py'))
    loader = cfg[f'{"train" if split == "train" else "test"}_dataloader']
    dataset = loader.dataset
    dataset.update(data_root=data_root, split=split)
    pipeline = list(dataset.pipeline)
    # before the instance labelling (training) and the packing
    at = next(i for i, t in enumerate(pipeline)
              if t['type'] in ('ClipInstanceTargets', 'PackAVSInputs'))
    dataset.pipeline = pipeline[:at] + list(extra_transforms) + pipeline[at:]
    return DATASETS.build(dataset)


@pytest.mark.parametrize('subset', ['s4', 'ms3'])
def test_base_configs(repo_root, subset):
    cfg = Config.fromfile(osp.join(repo_root, CONFIG_DIR, f'avsbench_{subset}.py'))
    assert cfg.dataset_type == {'s4': 'AVSBenchS4Dataset', 'ms3': 'AVSBenchMS3Dataset'}[subset]
    assert cfg.data_root == {'s4': 'data/AVSBench/Single-source',
                             'ms3': 'data/AVSBench/Multi-sources'}[subset]
    assert [t['type'] for t in cfg.train_pipeline] == [
        'LoadClipFrames', 'LoadClipMasks', 'LoadAudioLogMel', 'ClipRandomFlip',
        'ClipInstanceTargets', 'PackAVSInputs']
    assert [t['type'] for t in cfg.test_pipeline] == [
        'LoadClipFrames', 'LoadClipMasks', 'LoadAudioLogMel', 'PackAVSInputs']
    train = cfg.train_dataloader
    assert train.batch_size == 1 and train.sampler == dict(type='InfiniteSampler', shuffle=True)
    assert train.collate_fn == dict(type='pseudo_collate') and train.dataset.split == 'train'
    for name, split in (('val_dataloader', 'val'), ('test_dataloader', 'test')):
        loader = cfg[name]
        assert loader.sampler == dict(type='DefaultSampler', shuffle=False)
        assert loader.dataset.split == split and loader.dataset.pipeline == cfg.test_pipeline
    assert cfg.val_evaluator == cfg.test_evaluator == dict(type='AVSMetric',
                                                           fscore_batch_videos=4)


@pytest.mark.parametrize('subset', ['s4', 'ms3'])
def test_train_pipeline_to_batch(repo_root, subset, s4_root, ms3_root):
    root = s4_root if subset == 's4' else ms3_root
    extra = [dict(type='ClipRandomResizedCrop', prob=0.0),  # keeps masks comparable to disk
             dict(type='ClipPhotoMetricDistortion')]
    dataset = _dataset(repo_root, subset, root, 'train', extra)
    np.random.seed(0)
    batch = pseudo_collate([dataset[0], dataset[1]])
    inputs, samples = batch['inputs'], batch['data_samples']
    assert set(inputs) == {'frames', 'audio_log_mel'}
    assert len(inputs['frames']) == len(samples) == 2
    for frames, log_mel, sample in zip(inputs['frames'], inputs['audio_log_mel'], samples):
        assert frames.dtype == torch.uint8 and frames.shape == (5, 3, 224, 224)
        assert log_mel.dtype == torch.float32 and log_mel.shape == (5, 1, 96, 64)
        assert isinstance(sample, AVSDataSample)
        meta = sample.metainfo
        assert meta['subset'] == subset and meta['split'] == 'train' and meta['num_frames'] == 5
        assert meta['ori_shape'] == (96, 96) and meta['img_shape'] == (224, 224)
        info = dataset.get_data_info(meta['sample_idx'])
        assert meta['video_name'] == info['video_name']
        torch.testing.assert_close(log_mel, load_tensor_pickle(info['log_mel_path']))
        gt = sample.gt_sem_seg.data
        assert gt.dtype == torch.uint8 and gt.shape == (5, 224, 224)
        valid = meta['gt_valid']
        assert valid == ([True] + [False] * 4 if subset == 's4' else [True] * 5)
        for t in range(5):
            if not valid[t]:
                assert gt[t].sum() == 0
                continue
            disk = cv2.imread(info['mask_paths'][t], cv2.IMREAD_UNCHANGED) > 0
            disk = cv2.resize(disk.astype(np.uint8), (224, 224), interpolation=cv2.INTER_NEAREST)
            if meta['flip']:
                disk = disk[:, ::-1]
            assert torch.equal(gt[t], torch.from_numpy(np.ascontiguousarray(disk)))
        # the criterion's 'components' instances, labelled after the flip: background in
        # slot 0, every sounding pixel in a sounding slot
        assert meta['instance_mode'] == 'components'
        instance_map, labels = sample.gt_instance_map.data, sample.gt_instance_labels
        assert instance_map.shape == (5, 224, 224) and labels.shape == (5, 8)
        for t in range(5):
            if not valid[t]:
                assert (instance_map[t] == 255).all() and (labels[t] == -1).all()
                continue
            assert torch.equal(instance_map[t] == 0, gt[t] == 0)
            sounding = labels[t][instance_map[t][gt[t] == 1].long()]
            assert (sounding == 1).all()
    # The model's data preprocessor stacks the clips.
    preprocessor = MODELS.build(dict(type='AVSDataPreprocessor'))
    data = preprocessor(batch, training=True)
    assert data['inputs']['frames'].shape == (2, 5, 3, 224, 224)
    assert data['inputs']['audio_log_mel'].shape == (2, 5, 1, 96, 64)


def test_flip_draws_vary_across_clips(repo_root, s4_root):
    dataset = _dataset(repo_root, 's4', s4_root, 'val')  # test pipeline: never flipped
    assert all('flip' not in dataset[i]['data_samples'].metainfo_keys() for i in range(3))
    train = _dataset(repo_root, 's4', s4_root, 'train')
    np.random.seed(1)
    flips = {train[i % 3]['data_samples'].flip for i in range(12)}
    assert flips == {True, False}
