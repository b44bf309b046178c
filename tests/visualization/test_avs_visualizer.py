"""Clip pictures: overlays, the grid layout and the visualizer."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from projects.transavs.datasets.semantic_palette import AVSS_CLASSES, bit_palette
from projects.transavs.structures import AVSDataSample
from projects.transavs.visualization import (
    AVSLocalVisualizer,
    class_style,
    draw_clip,
    draw_legend,
    legend_strip,
    overlay_labels,
    overlay_mask,
)


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


# ------------------------------------------------------------------------------ semantic
PALETTE = bit_palette(71)


def _class_maps(num_frames=2, size=24):
    """``[T, H, W]`` uint8 maps with class 5 on the left and class 9 on the right."""
    maps = np.zeros((num_frames, size, size), np.uint8)
    maps[:, 4:12, 2:10] = 5
    maps[:, 12:20, 14:22] = 9
    return maps


def _legend(picture, grid_height, gap=2):
    """The legend strip under a grid of ``grid_height`` rows."""
    return picture[grid_height + gap:]


def _has_colour(img, colour):
    return bool((img.reshape(-1, 3) == np.asarray(colour, np.uint8)).all(1).any())


def test_class_style_defaults_and_metainfo():
    names, palette = class_style(None, 4)
    assert names == ('background', 'class_1', 'class_2', 'class_3')
    assert np.array_equal(palette, bit_palette(4))
    names, palette = class_style(dict(classes=AVSS_CLASSES, palette=PALETTE.tolist()))
    assert names == AVSS_CLASSES and np.array_equal(palette, PALETTE)
    # Missing names and colours are filled in; given colours are kept.
    names, palette = class_style(dict(classes=('background', 'dog'), palette=[[0, 0, 0],
                                                                               [1, 2, 3]]), 3)
    assert names == ('background', 'dog', 'class_2')
    assert palette.tolist() == [[0, 0, 0], [1, 2, 3], PALETTE[2].tolist()]


def test_overlay_labels_colours_each_class_and_leaves_background():
    frame = np.full((24, 24, 3), 200, np.uint8)
    labels = _class_maps(1)[0]
    out = overlay_labels(frame, labels, PALETTE, alpha=0.5)
    for cls, inside, corner in ((5, (8, 6), (4, 2)), (9, (16, 18), (12, 14))):
        expected = (0.5 * 200 + 0.5 * PALETTE[cls].astype(np.float32)).astype(np.uint8)
        assert tuple(out[inside]) == tuple(expected)  # tinted
        assert tuple(out[corner]) == tuple(PALETTE[cls])  # the outline in the class colour
    assert (out[labels == 0] == 200).all()  # the background is untouched
    assert frame[8, 6, 0] == 200  # the input is untouched
    # Classes beyond the palette take bit-palette colours.
    big = overlay_labels(frame, np.full((24, 24), 70, np.uint8), PALETTE[:3], alpha=1.0)
    assert tuple(big[12, 12]) == tuple(PALETTE[70])


def test_semantic_clip_has_class_colours_and_a_legend():
    frames = np.full((2, 24, 24, 3), 200, np.uint8)
    maps = _class_maps()
    grid_h = 2 * 24 + 2
    binary = draw_clip(frames, maps > 0, maps > 0, [True, False])
    picture = draw_clip(frames, maps, maps, [True, False], classes=AVSS_CLASSES,
                        palette=PALETTE)
    assert binary.shape == (grid_h, 2 * 24 + 2, 3)
    assert picture.shape[0] > grid_h and not np.array_equal(picture[:grid_h], binary)
    pred_tile = picture[26:50, :24]  # row 2 (prediction), frame 1
    blend = (0.5 * 200 + 0.5 * PALETTE[9].astype(np.float32)).astype(np.uint8)
    assert tuple(pred_tile[16, 18]) == tuple(blend)
    assert (pred_tile[22, 2] == 200).all()  # background untouched
    legend = _legend(picture, grid_h)
    assert (legend != 255).any()  # something is drawn under the grid
    assert _has_colour(legend, PALETTE[5]) and _has_colour(legend, PALETTE[9])  # swatches
    assert not _has_colour(legend, PALETTE[17])  # only the classes present
    # The names are drawn: a longer first name pushes the second swatch right.
    names = list(AVSS_CLASSES)
    wide = np.zeros((1, 24, 300), np.uint8)  # room for both entries on one row
    wide[0, :, :100], wide[0, :, 200:] = 5, 9

    def second_swatch_x(first_name):
        names[5] = first_name
        strip = _legend(draw_clip(np.zeros((1, 24, 300, 3), np.uint8), wide, classes=names,
                                  palette=PALETTE), 24)
        return np.argwhere((strip == PALETTE[9]).all(-1))[:, 1].min()

    assert second_swatch_x('a_much_longer_class_name') > second_swatch_x('a')


def test_semantic_clip_without_classes_present():
    frames = np.zeros((1, 24, 24, 3), np.uint8)
    empty = np.zeros((1, 24, 24), np.uint8)
    picture = draw_clip(frames, empty, classes=AVSS_CLASSES)
    assert picture.shape[0] > 24 and (_legend(picture, 24) != 255).any()  # "no sounding ..."


def test_legend_strip_wraps_and_widens():
    entries = [(f'class {i}', PALETTE[i]) for i in range(1, 9)]
    one_row = legend_strip(entries, 2000)
    rows = legend_strip(entries, 120)
    assert rows.shape[1] == 120 and rows.shape[0] > one_row.shape[0]
    assert legend_strip([('a_very_long_name_of_a_class', PALETTE[1])], 10).shape[1] > 10
    on_frame = draw_legend(np.zeros((40, 60, 3), np.uint8), entries[:1])
    assert on_frame.shape == (40, 60, 3) and _has_colour(on_frame, PALETTE[1])


def _semantic_sample(num_frames=2, padded=None):
    maps = torch.from_numpy(_class_maps(num_frames))
    meta = dict(gt_valid=[True] * num_frames)
    if padded is not None:
        meta.update(frame_padded=padded, gt_valid=[not p for p in padded])
    sample = AVSDataSample(metainfo=meta)
    sample.gt_sem_seg = PixelData(data=maps)
    sample.pred_sem_seg = PixelData(data=maps)
    return sample


def test_visualizer_draws_semantic_data_sets_from_dataset_meta():
    frames = np.full((2, 24, 24, 3), 120, np.uint8)
    sample = _semantic_sample()
    vis = AVSLocalVisualizer(name='test_visualizer_semantic_meta')
    vis.dataset_meta = dict(classes=AVSS_CLASSES, palette=PALETTE.tolist(), task='semantic')
    semantic = vis.add_datasample('clip', frames, sample)
    expected = draw_clip(frames, sample.pred_sem_seg.data.numpy(),
                         sample.gt_sem_seg.data.numpy(), [True, True], classes=AVSS_CLASSES,
                         palette=PALETTE)
    assert np.array_equal(semantic, expected)
    assert semantic.shape[0] > 2 * 24 + 2  # the legend
    # Binary metainfo and 0/1 maps: the binary picture, as without metainfo.
    binary = _semantic_sample()
    binary.pred_sem_seg = PixelData(data=(binary.pred_sem_seg.data > 0).to(torch.uint8))
    binary.gt_sem_seg = PixelData(data=(binary.gt_sem_seg.data > 0).to(torch.uint8))
    vis.dataset_meta = dict(classes=('background', 'sounding'), palette=[[0, 0, 0],
                                                                         [255, 255, 255]])
    plain = AVSLocalVisualizer(name='test_visualizer_semantic_plain')
    assert np.array_equal(vis.add_datasample('clip', frames, binary),
                          plain.add_datasample('clip', frames, binary))
    assert np.array_equal(plain.add_datasample('clip', frames, binary),
                          draw_clip(frames, binary.pred_sem_seg.data.numpy() > 0,
                                    binary.gt_sem_seg.data.numpy() > 0, [True, True]))
    # No metainfo but classes above 1: semantic with class_{i} names and the bit palette.
    assert np.array_equal(plain.add_datasample('clip', frames, sample),
                          draw_clip(frames, sample.pred_sem_seg.data.numpy(),
                                    sample.gt_sem_seg.data.numpy(), [True, True],
                                    palette=bit_palette(10)))


def test_visualizer_leaves_padded_frames_out():
    vis = AVSLocalVisualizer(name='test_visualizer_padded')
    vis.dataset_meta = dict(classes=AVSS_CLASSES, palette=PALETTE.tolist(), task='semantic')
    padded = [False, False, True, True]
    sample = _semantic_sample(4, padded)
    frames = np.random.default_rng(0).integers(0, 256, (4, 24, 24, 3), dtype=np.uint8)
    all_frames = vis.add_datasample('clip', frames, sample)
    real_frames = vis.add_datasample('clip', frames[:2], sample)
    assert np.array_equal(all_frames, real_frames)
    maps = sample.gt_sem_seg.data.numpy()[:2]
    assert np.array_equal(all_frames, draw_clip(frames[:2], maps, maps, [True, True],
                                                classes=AVSS_CLASSES, palette=PALETTE))
    assert (all_frames[:2 * 24 + 2, 2 * 24 + 2:] == 255).all()  # two columns
    # The columns keep the frames' numbers.
    middle = _semantic_sample(4, [True, False, False, True])
    assert np.array_equal(vis.add_datasample('clip', frames, middle),
                          draw_clip(frames[1:3], maps, maps, [True, True], classes=AVSS_CLASSES,
                                    palette=PALETTE, frame_numbers=[2, 3]))
    with pytest.raises(ValueError, match='3 frames given for a clip of 4 frames'):
        vis.add_datasample('clip', frames[:3], sample)
