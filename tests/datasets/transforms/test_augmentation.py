"""Clip-consistent augmentation: one draw per clip, the same on every frame and its mask."""
import colorsys

import cv2
import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

from projects.transavs.datasets.transforms import (
    ClipPhotoMetricDistortion,
    ClipRandomFlip,
    ClipRandomResizedCrop,
)

T, H, W = 5, 40, 60


def _coordinate_clip():
    """Frames whose pixels encode (x, y, t), and masks of an asymmetric region."""
    ys, xs = np.mgrid[0:H, 0:W]
    frames = np.stack([np.stack([xs * 4, ys * 6, np.full_like(xs, 40 * t)], axis=-1)
                       for t in range(T)]).astype(np.uint8)  # [T, H, W, 3]
    masks = np.stack([((xs < 20 + 3 * t) & (ys < 15)) for t in range(T)]).astype(np.uint8)
    return dict(frames=frames, gt_masks=masks)


def test_flip_all_or_none():
    base = _coordinate_clip()
    outcomes = set()
    for seed in range(30):
        np.random.seed(seed)
        out = ClipRandomFlip(prob=0.5)(dict(base))
        flipped = [np.array_equal(out['frames'][t], base['frames'][t, :, ::-1]) for t in range(T)]
        kept = [np.array_equal(out['frames'][t], base['frames'][t]) for t in range(T)]
        masks_flipped = [np.array_equal(out['gt_masks'][t], base['gt_masks'][t, :, ::-1])
                         for t in range(T)]
        assert all(flipped) or all(kept)  # never a mix
        assert all(flipped) == out['flip'] == all(masks_flipped)
        assert out['flip_direction'] == ('horizontal' if out['flip'] else None)
        assert out['frames'].flags['C_CONTIGUOUS']
        outcomes.add(out['flip'])
    assert outcomes == {True, False}


@pytest.mark.parametrize('direction,axes', [('vertical', (1, )), ('diagonal', (1, 2))])
def test_flip_directions(direction, axes):
    base = _coordinate_clip()
    out = TRANSFORMS.build(dict(type='ClipRandomFlip', prob=1.0, direction=direction))(dict(base))
    np.testing.assert_array_equal(out['frames'], np.flip(base['frames'], axis=axes))
    np.testing.assert_array_equal(out['gt_masks'], np.flip(base['gt_masks'], axis=axes))
    assert out['flip'] and out['flip_direction'] == direction
    with pytest.raises(ValueError, match='direction must be one of'):
        ClipRandomFlip(direction='sideways')


def test_resized_crop_one_box_for_frames_and_masks():
    base = _coordinate_clip()
    for seed in range(10):
        np.random.seed(seed)
        out = ClipRandomResizedCrop(scale=(0.3, 0.8), ratio=(0.5, 2.0))(dict(base))
        x1, y1, x2, y2 = out['crop_bbox']
        assert 0 <= x1 < x2 <= W and 0 <= y1 < y2 <= H
        assert 0.25 <= (x2 - x1) * (y2 - y1) / (H * W) <= 0.85
        assert out['frames'].shape == base['frames'].shape
        assert out['gt_masks'].shape == base['gt_masks'].shape
        for t in range(T):
            # The same box in every frame: the x / y codes span the box.
            frame = out['frames'][t].astype(int)
            assert abs(frame[..., 0].min() - 4 * x1) <= 4 and abs(frame[..., 0].max() -
                                                                   4 * (x2 - 1)) <= 4
            assert abs(frame[..., 1].min() - 6 * y1) <= 6 and abs(frame[..., 1].max() -
                                                                   6 * (y2 - 1)) <= 6
            assert np.all(frame[..., 2] == 40 * t)
            expected_mask = cv2.resize(base['gt_masks'][t, y1:y2, x1:x2], (W, H),
                                       interpolation=cv2.INTER_NEAREST)
            np.testing.assert_array_equal(out['gt_masks'][t], expected_mask)
        assert set(np.unique(out['gt_masks'])) <= {0, 1}


def test_resized_crop_probability_and_fallback():
    base = _coordinate_clip()
    out = ClipRandomResizedCrop(prob=0.0)(dict(base))
    assert out['crop_bbox'] is None
    np.testing.assert_array_equal(out['frames'], base['frames'])
    # A ratio no box of the scale range can satisfy: the largest centred box of that ratio.
    np.random.seed(0)
    out = ClipRandomResizedCrop(scale=(1.0, 1.0), ratio=(3.0, 3.0))(dict(base))
    assert out['crop_bbox'] == (0, 10, 60, 30)
    with pytest.raises(ValueError, match='scale must be'):
        ClipRandomResizedCrop(scale=(0.8, 0.5))


def test_photometric_same_draw_for_every_frame():
    frame = np.random.RandomState(0).randint(0, 256, size=(H, W, 3), dtype=np.uint8)
    clip = dict(frames=np.stack([frame] * T), gt_masks=np.ones((T, H, W), np.uint8))
    np.random.seed(3)
    out = ClipPhotoMetricDistortion(prob=1.0)(dict(clip))
    assert set(out['photometric']) == {'brightness', 'contrast', 'saturation', 'hue'}
    assert all(np.array_equal(out['frames'][0], out['frames'][t]) for t in range(1, T))
    assert not np.array_equal(out['frames'][0], frame)
    np.testing.assert_array_equal(out['gt_masks'], clip['gt_masks'])
    # The recorded factors reproduce the result on other frames too.
    other = np.random.RandomState(1).randint(0, 256, size=(T, H, W, 3), dtype=np.uint8)
    np.random.seed(3)
    result = ClipPhotoMetricDistortion(prob=1.0)(dict(frames=other))
    fixed = ClipPhotoMetricDistortion(
        **{k: (v, v) for k, v in result['photometric'].items()}, prob=1.0)
    np.testing.assert_array_equal(fixed(dict(frames=other))['frames'], result['frames'])
    assert ClipPhotoMetricDistortion(prob=0.0)(dict(frames=other))['photometric'] == {}


def test_photometric_operations_in_rgb():
    red = np.zeros((T, 8, 8, 3), np.uint8)
    red[..., 0] = 200
    only = dict(brightness=None, contrast=None, saturation=None, hue=None, prob=1.0)
    bright = ClipPhotoMetricDistortion(**dict(only, brightness=(1.2, 1.2)))(dict(frames=red))
    assert np.all(bright['frames'][..., 0] == 240) and bright['frames'][..., 1:].max() == 0
    grey = ClipPhotoMetricDistortion(**dict(only, saturation=(0.0, 0.0)))(dict(frames=red))
    channels = grey['frames'].reshape(-1, 3)
    assert np.all(channels[:, 0] == channels[:, 1]) and np.all(channels[:, 1] == channels[:, 2])
    # Red shifted by a third of a turn is green in RGB (not blue, as a BGR mix-up would give).
    green = ClipPhotoMetricDistortion(**dict(only, hue=(1 / 3, 1 / 3)))(dict(frames=red))
    hue = colorsys.rgb_to_hsv(*(green['frames'][0, 0, 0] / 255.0))[0]
    assert abs(hue - 1 / 3) < 0.02
    with pytest.raises(ValueError, match='hue must be'):
        ClipPhotoMetricDistortion(hue=(-0.6, 0.1))
