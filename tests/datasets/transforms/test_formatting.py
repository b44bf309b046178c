"""PackAVSInputs: model inputs and the AVSDataSample."""
import numpy as np
import pytest
import torch
from mmseg.registry import TRANSFORMS

from projects.transavs.datasets.transforms import PackAVSInputs
from projects.transavs.structures import AVSDataSample

T, H, W = 5, 6, 10


def _results(**extra):
    rng = np.random.RandomState(0)
    results = dict(
        frames=rng.randint(0, 256, size=(T, H, W, 3), dtype=np.uint8),
        gt_masks=(rng.rand(T, H, W) > 0.5).astype(np.uint8),
        audio_log_mel=torch.randn(T, 1, 96, 64),
        sample_idx=7, video_name='v1', category='dog_barking', subset='s4', split='train',
        num_frames=T, gt_valid=[True, False, False, False, False],
        frame_paths=[f'f{i}.png' for i in range(T)], ori_shape=(96, 96), img_shape=(H, W),
        flip=True, flip_direction='horizontal', crop_bbox=(0, 0, 5, 5))
    results.update(extra)
    return results


def test_pack_frames_masks_and_meta():
    results = _results()
    packed = TRANSFORMS.build(dict(type='PackAVSInputs'))(dict(results))
    assert set(packed) == {'inputs', 'data_samples'}
    inputs = packed['inputs']
    assert set(inputs) == {'frames', 'audio_log_mel'}
    assert inputs['frames'].dtype == torch.uint8 and inputs['frames'].shape == (T, 3, H, W)
    assert torch.equal(inputs['frames'][2, 1], torch.from_numpy(results['frames'][2, :, :, 1]))
    assert inputs['audio_log_mel'].shape == (T, 1, 96, 64)
    sample = packed['data_samples']
    assert isinstance(sample, AVSDataSample)
    gt = sample.gt_sem_seg.data
    assert gt.dtype == torch.uint8 and gt.shape == (T, H, W)
    assert torch.equal(gt, torch.from_numpy(results['gt_masks']))
    meta = sample.metainfo
    assert meta['video_name'] == 'v1' and meta['sample_idx'] == 7 and meta['flip']
    assert meta['gt_valid'] == [True, False, False, False, False]
    assert meta['img_shape'] == (H, W) and meta['ori_shape'] == (96, 96)
    # Missing default keys are skipped; keys outside meta_keys are not copied.
    assert 'mask_paths' not in meta and 'audio_path' not in meta and 'crop_bbox' not in meta


def test_pack_frame_seconds_and_custom_meta():
    results = _results(frame_seconds=[0, 0, 1, 3, 4])
    del results['gt_masks']
    packed = PackAVSInputs(meta_keys=('video_name', 'crop_bbox', 'absent'))(results)
    inputs = packed['inputs']
    assert set(inputs) == {'frames', 'audio_log_mel', 'frame_seconds'}
    assert inputs['frame_seconds'].dtype == torch.long
    assert inputs['frame_seconds'].tolist() == [0, 0, 1, 3, 4]
    sample = packed['data_samples']
    assert 'gt_sem_seg' not in sample
    assert set(sample.metainfo) == {'video_name', 'crop_bbox'}
    # Only the log-mels are model inputs: a waveform left in the results is not packed.
    packed = PackAVSInputs()(_results(audio_wave=np.zeros(80000, np.float32)))
    assert set(packed['inputs']) == {'frames', 'audio_log_mel'}


@pytest.mark.parametrize('seconds', [[0, 1, 2], [0, 1, 2, 3, 4, 5], [0.5] * T, [0, 1, -1, 3, 4],
                                     [[0, 1, 2, 3, 4]]])
def test_pack_rejects_bad_frame_seconds(seconds):
    with pytest.raises(ValueError, match=r'frame_seconds.*non-negative int per frame \(\[5\]\)'):
        PackAVSInputs()(_results(frame_seconds=seconds))



def test_pack_errors():
    results = _results()
    del results['audio_log_mel']
    with pytest.raises(KeyError, match=r'no audio_log_mel \[T, 1, 96, 64\]; add LoadAudioLogMel'):
        PackAVSInputs()(dict(results))
    with pytest.raises(KeyError, match='results has audio_wave: add WaveformToLogMel'):
        PackAVSInputs()(dict(results, audio_wave=np.zeros(10, np.float32)))
    with pytest.raises(KeyError, match='no "frames"'):
        PackAVSInputs()(dict(audio_log_mel=torch.zeros(T, 1, 96, 64)))
    with pytest.raises(ValueError, match=r'gt_masks \(5, 6, 9\) does not match frames'):
        PackAVSInputs()(_results(gt_masks=np.zeros((T, H, W - 1), np.uint8)))
    with pytest.raises(ValueError, match=r'must be \[T, H, W, 3\]'):
        PackAVSInputs()(_results(frames=np.zeros((T, H, W), np.uint8)))
    with pytest.raises(TypeError, match='audio_log_mel'):
        PackAVSInputs()(_results(audio_log_mel=[[0.0] * 64] * T))
