"""LoadClipFrames(FromNDArray) / LoadClipMasks: content, sizes, and every bad-input case."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

from projects.transavs.datasets import AVSBenchMS3Dataset, AVSBenchS4Dataset
from projects.transavs.datasets.transforms import (
    LoadClipFrames,
    LoadClipFramesFromNDArray,
    LoadClipMasks,
)


def _rgb(path):
    return cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1]


def _copied_clip(info: dict, dst: str) -> dict:
    """The data info of a private copy of one clip's frames and masks (safe to damage)."""
    os.makedirs(dst, exist_ok=True)
    info = dict(info)
    for key in ('frame_paths', 'mask_paths'):
        copies = []
        for i, path in enumerate(info[key]):
            if path is None:
                copies.append(None)
                continue
            copies.append(osp.join(dst, f'{key}_{i + 1}.png'))
            shutil.copy(path, copies[-1])
        info[key] = copies
    return info


@pytest.fixture
def s4_train_info(s4_root):
    return AVSBenchS4Dataset(data_root=s4_root, split='train').get_data_info(0)


@pytest.fixture
def ms3_info(ms3_root):
    return AVSBenchMS3Dataset(data_root=ms3_root, split='test').get_data_info(2)


def test_frames_resized_rgb(ms3_info):
    out = TRANSFORMS.build(dict(type='LoadClipFrames', scale=(120, 80)))(dict(ms3_info))
    frames = out['frames']
    assert frames.dtype == np.uint8 and frames.shape == (5, 80, 120, 3)
    assert out['ori_shape'] == (96, 96) and out['img_shape'] == (80, 120)
    assert out['frame_ori_shapes'] == [(96, 96)] * 5
    for t, path in enumerate(ms3_info['frame_paths']):
        expected = cv2.resize(_rgb(path), (120, 80), interpolation=cv2.INTER_LINEAR)
        assert np.abs(frames[t].astype(int) - expected).max() <= 1
    assert not np.array_equal(frames[0], frames[4])  # objects move


def test_frames_keep_size_when_scale_is_none(ms3_info):
    out = LoadClipFrames(scale=None)(dict(ms3_info))
    assert out['frames'].shape == (5, 96, 96, 3) and out['img_shape'] == (96, 96)
    for t, path in enumerate(ms3_info['frame_paths']):
        np.testing.assert_array_equal(out['frames'][t], _rgb(path))  # RGB, not BGR


def test_frames_of_different_sizes(ms3_info, tmp_path):
    info = _copied_clip(ms3_info, str(tmp_path))
    odd = info['frame_paths'][3]
    cv2.imwrite(odd, cv2.resize(cv2.imread(odd), (120, 72)))
    out = LoadClipFrames(scale=(64, 64))(dict(info))  # any size on disk is fine with a scale
    assert out['frames'].shape == (5, 64, 64, 3)
    assert out['frame_ori_shapes'][3] == (72, 120)
    with pytest.raises(ValueError, match=f'frame {odd} is 72x120 .* with scale=None'):
        LoadClipFrames(scale=None)(dict(info))


def test_missing_unreadable_frames_and_wrong_count(ms3_info, tmp_path):
    info = _copied_clip(ms3_info, str(tmp_path))
    os.remove(info['frame_paths'][4])
    with pytest.raises(FileNotFoundError, match=r'frame 5/5 .* not found: .*frame_paths_5\.png'):
        LoadClipFrames()(dict(info))
    with open(info['frame_paths'][4], 'wb') as f:
        f.write(b'not a png at all')
    with pytest.raises(ValueError, match=r'unreadable: .*frame_paths_5\.png'):
        LoadClipFrames()(dict(info))
    short = dict(info, frame_paths=info['frame_paths'][:4])
    with pytest.raises(ValueError, match=r'has 4 frame path\(s\); expected num_frames=5'):
        LoadClipFrames()(short)
    with pytest.raises(ValueError, match='scale must be None or'):
        LoadClipFrames(scale=(224, ))


@pytest.mark.parametrize('scale', [(120, 80), None])
def test_frames_from_arrays_equal_frames_from_files(ms3_info, scale):
    from_files = LoadClipFrames(scale=scale, interpolation='bicubic')(dict(ms3_info))
    arrays = [_rgb(path) for path in ms3_info['frame_paths']]
    loader = TRANSFORMS.build(dict(type='LoadClipFramesFromNDArray', scale=scale,
                                   interpolation='bicubic'))
    for frames in (arrays, np.stack(arrays)):  # a list of [H, W, 3] or one [T, H, W, 3]
        out = loader(dict(frames=frames, num_frames=5))
        np.testing.assert_array_equal(out['frames'], from_files['frames'])
        for key in ('ori_shape', 'frame_ori_shapes', 'img_shape'):
            assert out[key] == from_files[key], key
    if scale is not None:  # the resize happened: bicubic differs from the default bilinear
        bilinear = LoadClipFramesFromNDArray(scale=scale)(dict(frames=arrays))['frames']
        assert not np.array_equal(bilinear, from_files['frames'])


def test_frames_from_arrays_errors():
    frame = np.zeros((40, 30, 3), np.uint8)
    loader = LoadClipFramesFromNDArray(scale=None)
    with pytest.raises(ValueError, match=r"results\['frames'\]\[1\] is 20x30 .* but "
                       r"results\['frames'\]\[0\] is 40x30"):
        loader(dict(frames=[frame, frame[:20]]))
    assert LoadClipFramesFromNDArray(scale=(16, 16))(
        dict(frames=[frame, frame[:20]]))['frame_ori_shapes'] == [(40, 30), (20, 30)]
    with pytest.raises(TypeError, match=r"results\['frames'\]\[1\] has dtype float32; "
                       'expected uint8'):
        loader(dict(frames=[frame, frame.astype(np.float32)]))
    with pytest.raises(ValueError, match=r"results\['frames'\]\[0\] has shape \(40, 30\)"):
        loader(dict(frames=[frame[..., 0]]))
    with pytest.raises(ValueError, match=r"results\['frames'\] has shape \(40, 30, 3\); "
                       r'expected \[T, H, W, 3\]'):
        loader(dict(frames=frame))
    with pytest.raises(TypeError, match=r"\[0\] is a str"):
        loader(dict(frames=['frame.png']))
    with pytest.raises(ValueError, match=r'holds 2 frame\(s\); expected num_frames=5'):
        loader(dict(frames=[frame, frame], num_frames=5))
    with pytest.raises(ValueError, match=r'holds 0 frame\(s\)'):
        loader(dict(frames=[]))
    with pytest.raises(KeyError, match="no 'frames'"):
        loader(dict(frame_paths=['a.png']))


def test_masks_s4_train_only_first_frame(s4_train_info):
    out = LoadClipMasks()(LoadClipFrames()(dict(s4_train_info)))
    masks = out['gt_masks']
    assert masks.dtype == np.uint8 and masks.shape == (5, 224, 224)
    assert set(np.unique(masks)) == {0, 1}
    raw = cv2.imread(s4_train_info['mask_paths'][0], cv2.IMREAD_UNCHANGED)
    assert raw.ndim == 2 and set(np.unique(raw)) == {0, 255}
    expected = cv2.resize((raw > 0).astype(np.uint8), (224, 224), interpolation=cv2.INTER_NEAREST)
    np.testing.assert_array_equal(masks[0], expected)
    assert masks[1:].sum() == 0  # unannotated frames are all zero


def test_masks_ms3_every_frame_and_any_nonzero(ms3_info, tmp_path):
    out = LoadClipMasks(scale=None)(LoadClipFrames(scale=None)(dict(ms3_info)))
    assert out['gt_masks'].shape == (5, 96, 96)
    assert all(m.sum() > 0 for m in out['gt_masks'])
    info = _copied_clip(ms3_info, str(tmp_path))
    one = (cv2.imread(info['mask_paths'][2], cv2.IMREAD_UNCHANGED) > 0).astype(np.uint8)
    cv2.imwrite(info['mask_paths'][2], one)  # values 0/1 instead of 0/255
    again = LoadClipMasks(scale=None)(LoadClipFrames(scale=None)(dict(info)))
    np.testing.assert_array_equal(again['gt_masks'][2], one)


def test_mask_of_another_size(ms3_info, tmp_path):
    info = _copied_clip(ms3_info, str(tmp_path))
    bad = info['mask_paths'][1]
    cv2.imwrite(bad, cv2.resize(cv2.imread(bad, cv2.IMREAD_UNCHANGED), (100, 90)))
    loaded = LoadClipFrames()(dict(info))
    with pytest.raises(ValueError) as err:
        LoadClipMasks()(loaded)
    message = str(err.value)
    assert bad in message and info['frame_paths'][1] in message
    assert '90x100' in message and '96x96' in message


def test_missing_and_corrupt_masks(ms3_info, tmp_path):
    info = _copied_clip(ms3_info, str(tmp_path))
    os.remove(info['mask_paths'][3])
    with pytest.raises(FileNotFoundError, match=r'mask of frame 4 not found: .*mask_paths_4'):
        LoadClipMasks()(LoadClipFrames()(dict(info)))
    with open(info['mask_paths'][3], 'wb') as f:
        f.write(b'\x89PNG broken')
    with pytest.raises(ValueError, match=r'mask of frame 4 is unreadable: .*mask_paths_4'):
        LoadClipMasks()(LoadClipFrames()(dict(info)))


def test_masks_need_frames_and_the_same_scale(ms3_info):
    with pytest.raises(KeyError, match='put LoadClipFrames before it'):
        LoadClipMasks()(dict(ms3_info))
    loaded = LoadClipFrames(scale=(224, 224))(dict(ms3_info))
    with pytest.raises(ValueError, match='differs from the frames'):
        LoadClipMasks(scale=(112, 112))(loaded)
