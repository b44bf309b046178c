"""Clip pictures: overlays, the grid layout and the visualizer."""
import numpy as np
import torch
from mmengine.structures import PixelData

from projects.transavs.structures import AVSDataSample
from projects.transavs.visualization import AVSLocalVisualizer, draw_clip, overlay_mask


def test_overlay_tints_inside_and_dims_outside():
    frame = np.full((20, 20, 3), 200, np.uint8)
    mask = np.zeros((20, 20), bool)
    mask[5:15, 5:15] = True
    out = overlay_mask(frame, mask, colour=(255, 0, 0), alpha=0.5, dim=0.5)
    assert tuple(out[10, 10]) == (227, 100, 100)  # inside: half way to red (truncated)
    assert tuple(out[0, 0]) == (100, 100, 100)  # outside: dimmed
    assert tuple(out[5, 10]) == (255, 0, 0)  # the outline
    assert frame[10, 10, 1] == 200  # the input is untouched


def test_grid_rows_and_columns():
    frames = np.zeros((3, 10, 12, 3), np.uint8)
    masks = np.zeros((3, 10, 12), bool)
    img = draw_clip(frames, masks, masks, [True, False, False],
                    extra_preds={'silenced': masks}, gap=2)
    assert img.shape == (3 * 10 + 2 * 2, 3 * 12 + 2 * 2, 3)
    assert draw_clip(frames).shape == (10, 3 * 12 + 2 * 2, 3)


def test_visualizer_writes_picture(tmp_path):
    vis = AVSLocalVisualizer(name='test_visualizer_writes_picture')
    sample = AVSDataSample(metainfo=dict(gt_valid=[True, True]))
    gt = torch.zeros(2, 8, 8, dtype=torch.uint8)
    gt[:, 2:5, 2:5] = 1
    sample.gt_sem_seg = PixelData(data=gt)
    sample.pred_sem_seg = PixelData(data=gt)
    out_file = tmp_path / 'clip.png'
    img = vis.add_datasample('clip', np.zeros((2, 8, 8, 3), np.uint8), sample,
                             out_file=str(out_file))
    assert out_file.exists() and img.shape == (8 * 2 + 2, 8 * 2 + 2, 3)


def test_tensorboard_backend(tmp_path):
    vis = AVSLocalVisualizer(name='test_tensorboard_backend', save_dir=str(tmp_path),
                             vis_backends=[dict(type='TensorboardVisBackend')])
    sample = AVSDataSample(metainfo=dict(gt_valid=[True]))
    sample.pred_sem_seg = PixelData(data=torch.ones(1, 8, 8, dtype=torch.uint8))
    vis.add_datasample('clip', np.zeros((1, 8, 8, 3), np.uint8), sample, step=1)
    vis.add_scalars(dict(mJ=0.5), step=1)
    vis.close()
    assert list(tmp_path.rglob('events.out.tfevents.*'))
