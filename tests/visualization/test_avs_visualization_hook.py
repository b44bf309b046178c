"""AVSVisualizationHook: frames read from disk, padded frames left out, pictures of binary and
semantic data sets sent to the visualizer's backends."""
from types import SimpleNamespace

import mmcv
import numpy as np
import torch
from mmengine.structures import PixelData

from projects.transavs.datasets.semantic_palette import AVSS_CLASSES, bit_palette
from projects.transavs.engine.hooks import AVSVisualizationHook
from projects.transavs.engine.hooks.avs_visualization_hook import load_clip_frames
from projects.transavs.structures import AVSDataSample
from projects.transavs.visualization import AVSLocalVisualizer, draw_clip

SIZE = 24  # prediction size


def _write_frames(folder, num):
    paths = []
    for i in range(num):
        frame = np.full((30, 40, 3), 40 * (i + 1), np.uint8)
        paths.append(str(folder / f'{i}.png'))
        mmcv.imwrite(mmcv.rgb2bgr(frame), paths[-1])
    return paths


def test_load_clip_frames_fills_padded_frames(tmp_path):
    paths = _write_frames(tmp_path, 2)
    frames = load_clip_frames(paths + [None], (SIZE, 20))
    assert frames.shape == (3, SIZE, 20, 3) and frames.dtype == np.uint8
    assert (frames[0] == 40).all() and (frames[1] == 80).all()
    assert (frames[2] == 128).all()  # grey
    assert (load_clip_frames([None, paths[0]], (8, 8), pad_value=(1, 2, 3))[0] ==
            (1, 2, 3)).all()


def _sample(paths, padded):
    labels = torch.zeros(len(paths), SIZE, SIZE, dtype=torch.uint8)
    labels[:, 2:10, 2:10] = 17  # dog
    labels[:, 12:20, 12:20] = 41  # man
    sample = AVSDataSample(metainfo=dict(
        video_name='clip_a', frame_paths=paths, frame_padded=padded,
        gt_valid=[not p for p in padded], img_shape=(SIZE, SIZE)))
    sample.gt_sem_seg = PixelData(data=labels)
    sample.pred_sem_seg = PixelData(data=labels.clone())
    return sample


def test_test_pictures_leave_padded_frames_out(tmp_path):
    """A v1 clip padded from 5 to 10 frames: the padded frames' paths are None (and a padded
    frame's file, if any, is not read); the picture has one column per real frame."""
    paths = _write_frames(tmp_path, 3)
    padded = [False, False, False, True, True]
    frame_paths = paths + [None, str(tmp_path / 'missing.png')]
    vis = AVSLocalVisualizer(name='test_hook_padded', save_dir=str(tmp_path / 'vis'),
                             vis_backends=[dict(type='LocalVisBackend')])
    vis.dataset_meta = dict(classes=AVSS_CLASSES, palette=bit_palette(71).tolist(),
                            task='semantic')
    runner = SimpleNamespace(visualizer=vis, iter=0)
    hook = AVSVisualizationHook(draw=True)
    sample = _sample(frame_paths, padded)
    hook.after_test_iter(runner, 0, outputs=[sample])
    written = list((tmp_path / 'vis').rglob('*.png'))
    assert [p.name for p in written] == ['clip_a_1.png']
    picture = mmcv.imread(str(written[0]), channel_order='rgb')
    frames = load_clip_frames(paths, (SIZE, SIZE))
    maps = sample.gt_sem_seg.data.numpy()[:3]
    expected = draw_clip(frames, maps, maps, [True] * 3, classes=AVSS_CLASSES,
                         palette=bit_palette(71))
    assert np.array_equal(picture, expected)
    grid_w = 3 * SIZE + 2 * 2
    assert (picture[:2 * SIZE + 2, grid_w:] == 255).all()  # three columns only


def test_binary_pictures_unchanged(tmp_path):
    paths = _write_frames(tmp_path, 2)
    vis = AVSLocalVisualizer(name='test_hook_binary')
    vis.dataset_meta = dict(classes=('background', 'sounding'),
                            palette=[[0, 0, 0], [255, 255, 255]])
    sample = AVSDataSample(metainfo=dict(video_name='b', frame_paths=paths,
                                         gt_valid=[True, False]))
    mask = torch.zeros(2, SIZE, SIZE, dtype=torch.uint8)
    mask[:, 5:15, 5:15] = 1
    sample.gt_sem_seg = PixelData(data=mask)
    sample.pred_sem_seg = PixelData(data=mask)
    drawn = []
    vis.add_image = lambda name, image, step=0: drawn.append((name, image, step))
    AVSVisualizationHook(draw=True, interval=1).after_val_iter(
        SimpleNamespace(visualizer=vis, iter=7), 0, outputs=[sample])
    (name, image, step), = drawn
    assert (name, step) == ('val_b', 7)
    frames = load_clip_frames(paths, (SIZE, SIZE))
    assert np.array_equal(image, draw_clip(frames, mask.numpy() > 0, mask.numpy() > 0,
                                           [True, False]))
