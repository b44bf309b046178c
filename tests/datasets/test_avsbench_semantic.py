"""AVSBench-semantic: palette, label index, dataset, pipeline and their errors."""
import csv
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from avss_release import PALETTE, SIZE, write_release
from mmengine.dataset import Compose
from PIL import Image

import projects.transavs  # noqa: F401  (registers the modules)
from projects.transavs.datasets import AVSBenchSemanticDataset
from projects.transavs.datasets import avsbench_semantic_layout as layout
from projects.transavs.datasets.semantic_palette import (
    AVSS_CLASSES,
    colour_to_label,
    label_to_colour,
    read_label_index,
)
from projects.transavs.datasets.transforms import resize_image


@pytest.fixture(scope='module')
def release(tmp_path_factory):
    return write_release(str(tmp_path_factory.mktemp('avss')))


def _pipeline(crop=False, scale=(64, 64)):
    return [
        dict(type='LoadClipFrames', scale=scale, backend='pillow', imdecode_backend='pillow',
             pad_value=(124, 116, 104), keep_ratio_crop=crop),
        dict(type='LoadClipSemanticLabels', scale=scale, backend='pillow', keep_ratio_crop=crop),
        dict(type='LoadAudioWaveform'),
        dict(type='WaveformToLogMel', pad_mode='zeros'),
        dict(type='PackAVSInputs'),
    ]


# ------------------------------------------------------------------------------ palette
def test_bit_palette_is_the_official_voc_palette():
    assert PALETTE.shape == (71, 3) and len({tuple(c) for c in PALETTE}) == 71
    # VOC's first entries: black, maroon, green, olive, navy, purple, teal, grey, 64-red
    assert PALETTE[:9].tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0],
                                    [0, 0, 128], [128, 0, 128], [0, 128, 128],
                                    [128, 128, 128], [64, 0, 0]]
    # the official get_v2_pallete (avss/color_dataloader.py), transcribed
    pallete = [0] * (71 * 3)
    for j in range(0, 71):
        lab = j
        i = 0
        while lab > 0:
            pallete[j * 3 + 0] |= (((lab >> 0) & 1) << (7 - i))
            pallete[j * 3 + 1] |= (((lab >> 1) & 1) << (7 - i))
            pallete[j * 3 + 2] |= (((lab >> 2) & 1) << (7 - i))
            i = i + 1
            lab >>= 3
    np.testing.assert_array_equal(PALETTE, np.array(pallete).reshape(-1, 3))


def test_palette_round_trip_and_unknown_colours():
    labels = np.random.default_rng(0).integers(0, 71, (7, 9))
    rgb = label_to_colour(labels, PALETTE)
    np.testing.assert_array_equal(colour_to_label(rgb, PALETTE), labels)
    rgb[0, :3] = (1, 2, 3)
    with pytest.raises(ValueError, match=r'bad\.png: 3 pixel\(s\) in 1 colour'):
        colour_to_label(rgb, PALETTE, 'bad.png')
    with pytest.raises(ValueError, match='do not fit'):
        label_to_colour(np.array([[71]]), PALETTE)


def test_label_index(tmp_path):
    path = tmp_path / 'label2idx.json'
    path.write_text(json.dumps({n: i + 1 for i, n in enumerate(AVSS_CLASSES)}))
    assert read_label_index(str(path)) == AVSS_CLASSES
    path.write_text(json.dumps(list(AVSS_CLASSES[:3])))
    assert read_label_index(str(path)) == AVSS_CLASSES[:3]
    with pytest.raises(FileNotFoundError, match='nope.json'):
        read_label_index(str(tmp_path / 'nope.json'))
    for content, message in [('{"background": 1,', 'not valid JSON'),
                             ('{"background": 1, "dog": 3}', 'count up'),
                             ('{"dog": 1, "background": 2}', 'first class must be'),
                             ('["background", "dog", "dog"]', 'duplicated'),
                             ('"background"', 'holds a JSON str')]:
        path.write_text(content)
        with pytest.raises(ValueError, match=message) as err:
            read_label_index(str(path))
        assert str(path) in str(err.value)


# ------------------------------------------------------------------------------ dataset
def test_reads_the_release(release):
    ds = AVSBenchSemanticDataset(release, 'train', lazy_init=False)
    assert ds.metainfo['classes'] == AVSS_CLASSES
    assert ds.metainfo['palette'] == PALETTE.tolist()
    assert [ds.get_data_info(i)['video_name'] for i in range(len(ds))] == ['s_a', 'm_a', 'n_a']
    v1s, v1m, v2 = (ds.get_data_info(i) for i in range(3))
    assert v1s['num_frames'] == v1s['clip_seconds'] == 10
    assert v1s['gt_valid'] == [True] + [False] * 9  # v1s train: frame 0 only
    assert v1s['frame_padded'] == [False] * 5 + [True] * 5
    assert v1s['frame_paths'][5:] == [None] * 5 and v1s['mask_paths'][1:] == [None] * 9
    assert v1s['frame_paths'][4] == osp.join(release, 'v1s', 's_a', 'frames', '4.jpg')
    assert v1s['mask_rel_paths'][0] == 'v1s/s_a/labels_rgb/0.png'
    assert v1m['gt_valid'] == [True] * 5 + [False] * 5
    assert v2['gt_valid'] == [True] * 10 and v2['frame_padded'] == [False] * 10
    assert v2['vid'] == 'vid_n_a' and v2['category'] == 'dog_man' and v2['num_classes'] == 71
    test = AVSBenchSemanticDataset(release, 'test', subsets=['v1s'])
    assert len(test) == 1 and test.get_data_info(0)['gt_valid'] == [True] * 5 + [False] * 5
    native = AVSBenchSemanticDataset(release, 'test', subsets=('v1s', 'v1m'), pad_v1=False)
    info = native.get_data_info(0)
    assert info['num_frames'] == 5 and info['frame_padded'] == [False] * 5


def test_pipeline_outputs_labels_and_padding(release):
    ds = AVSBenchSemanticDataset(release, 'test', pipeline=_pipeline())
    by_name = {ds.get_data_info(i)['video_name']: i for i in range(len(ds))}
    v1s = ds[by_name['s_b']]
    frames = v1s['inputs']['frames']  # [T, 3, H, W]
    assert tuple(frames.shape) == (10, 3, 64, 64)
    assert (frames[5:] == frames.new_tensor([124, 116, 104])[:, None, None]).all()
    gt = v1s['data_samples'].gt_sem_seg.data  # [T, H, W]
    assert set(gt[:5].unique().tolist()) == {0, 5, 9} and (gt[5:] == 0).all()
    assert tuple(v1s['inputs']['audio_log_mel'].shape) == (10, 1, 96, 64)
    assert (v1s['inputs']['audio_log_mel'][5:] == 0).all()  # 5 s of audio, zero-padded
    meta = v1s['data_samples'].metainfo
    assert meta['frame_padded'] == [False] * 5 + [True] * 5 and meta['subset'] == 'v1s'
    # the labels equal the palette PNG decoded and resized by PIL (nearest)
    png = Image.open(layout.label_path(release, 'v1s', 's_b', 2)).convert('RGB')
    expected = colour_to_label(np.asarray(png.resize((64, 64), Image.NEAREST)), PALETTE)
    np.testing.assert_array_equal(gt[2].numpy(), expected)
    # the frames equal PIL's bilinear resize of PIL's decoding (the official loader)
    img = Image.open(layout.frame_path(release, 'v1s', 's_b', 1)).convert('RGB')
    np.testing.assert_array_equal(frames[1].permute(1, 2, 0).numpy(),
                                  np.asarray(img.resize((64, 64), Image.BILINEAR)))


def _official_crop_resize_img(crop_size, img, img_is_mask=False):
    """AVSBench's avss/color_dataloader.py crop_resize_img, transcribed."""
    outsize = crop_size
    short_size = outsize
    w, h = img.size
    if w > h:
        oh = short_size
        ow = int(1.0 * w * oh / h)
    else:
        ow = short_size
        oh = int(1.0 * h * ow / w)
    img = img.resize((ow, oh), Image.NEAREST if img_is_mask else Image.BILINEAR)
    w, h = img.size
    x1 = int(round((w - outsize) / 2.))
    y1 = int(round((h - outsize) / 2.))
    return img.crop((x1, y1, x1 + outsize, y1 + outsize))


@pytest.mark.parametrize('size', [(80, 60), (60, 80), (50, 50), (123, 45)])
def test_keep_ratio_crop_equals_the_official_train_resize(size):
    img = Image.fromarray(np.random.default_rng(1).integers(0, 255, size[::-1] + (3, ),
                                                            dtype=np.uint8))
    for crop in (32, 48):
        ours = resize_image(np.asarray(img), (crop, crop), 'bilinear', 'pillow', True)
        np.testing.assert_array_equal(ours, np.asarray(_official_crop_resize_img(crop, img)))
        mask = img.convert('L')
        ours = resize_image(np.asarray(mask), (crop, crop), 'nearest', 'pillow', True)
        np.testing.assert_array_equal(ours, np.asarray(_official_crop_resize_img(crop, mask,
                                                                                 True)))


def test_train_pipeline_crops_frames_and_labels_alike(release):
    ds = AVSBenchSemanticDataset(release, 'train', subsets=['v2'], pipeline=_pipeline(True))
    sample = ds[0]
    assert tuple(sample['inputs']['frames'].shape) == (10, 3, 64, 64)
    gt = sample['data_samples'].gt_sem_seg.data
    png = Image.open(layout.label_path(release, 'v2', 'n_a', 3)).convert('RGB')
    expected = colour_to_label(np.asarray(_official_crop_resize_img(64, png, True)), PALETTE)
    np.testing.assert_array_equal(gt[3].numpy(), expected)


def test_native_v1_clips_have_five_frames(release):
    ds = AVSBenchSemanticDataset(release, 'test', subsets=['v1m'], pad_v1=False,
                                 pipeline=_pipeline())
    sample = ds[0]
    assert tuple(sample['inputs']['frames'].shape) == (5, 3, 64, 64)
    assert tuple(sample['inputs']['audio_log_mel'].shape) == (5, 1, 96, 64)


# ------------------------------------------------------------------------------ errors
def _copy_release(release, tmp_path):
    root = str(tmp_path / 'copy')
    shutil.copytree(release, root)
    return root


def test_colour_outside_the_palette_names_the_file(release, tmp_path):
    root = _copy_release(release, tmp_path)
    path = layout.label_path(root, 'v2', 'n_b', 4)
    rgb = np.asarray(Image.open(path).convert('RGB')).copy()
    rgb[:2, :3] = (7, 7, 7)
    Image.fromarray(rgb).save(path)
    ds = AVSBenchSemanticDataset(root, 'test', subsets=['v2'], pipeline=_pipeline())
    with pytest.raises(ValueError, match='6 pixel') as err:
        ds[0]
    assert path in str(err.value)


def test_frame_count_and_missing_files_are_reported(release, tmp_path):
    root = _copy_release(release, tmp_path)
    os.remove(layout.frame_path(root, 'v2', 'n_b', 9))
    extra = layout.frame_path(root, 'v1m', 'm_b', 5)
    Image.new('RGB', SIZE).save(extra)
    os.remove(layout.label_path(root, 'v1s', 's_b', 3))
    os.remove(layout.audio_path(root, 'v1m', 'm_b'))
    with pytest.raises(FileNotFoundError) as err:
        AVSBenchSemanticDataset(root, 'test')
    text = str(err.value)
    assert 'n_b/frames: 9 .jpg frame(s); a v2 clip has 10' in text
    assert 'm_b/frames: 6 .jpg frame(s); a v1m clip has 5' in text
    assert layout.label_path(root, 'v1s', 's_b', 3) + ': missing label' in text
    assert layout.audio_path(root, 'v1m', 'm_b') + ': missing audio' in text
    assert '5 problem(s)' in text  # the v2 clip also misses 9.jpg itself
    AVSBenchSemanticDataset(root, 'test', check_files=False)  # the check can be skipped


@pytest.mark.parametrize('edit, error, message', [
    (lambda rows: rows + [rows[1]], ValueError, r'lines 2 and 8 are the same clip v1s/s_a'),
    (lambda rows: rows[:1] + [rows[1][:5] + ['Test', 'v1s']] + rows[2:], ValueError,
     r"line 2 \(uid s_a\) has split 'Test'"),
    (lambda rows: rows[:1] + [rows[1][:6] + ['v3']] + rows[2:], ValueError,
     r"line 2 \(uid s_a\) has label 'v3'"),
    (lambda rows: [[c if c != 'label' else 'subset' for c in rows[0]]] + rows[1:], KeyError,
     r"no column\(s\) \['label'\]"),
])
def test_meta_csv_faults(release, tmp_path, edit, error, message):
    root = _copy_release(release, tmp_path)
    csv_path = osp.join(root, layout.META_CSV)
    with open(csv_path, newline='') as f:
        rows = list(csv.reader(f))
    with open(csv_path, 'w', newline='') as f:
        csv.writer(f).writerows(edit(rows))
    with pytest.raises(error, match=message) as err:
        AVSBenchSemanticDataset(root, 'train')
    assert csv_path in str(err.value)


def test_argument_and_label_index_errors(release, tmp_path):
    with pytest.raises(ValueError, match=r"unknown subsets \['v3'\]"):
        AVSBenchSemanticDataset(release, 'train', subsets=['v1s', 'v3'])
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        AVSBenchSemanticDataset(release, 'dev')
    with pytest.raises(ValueError, match='metainfo classes differ'):
        AVSBenchSemanticDataset(release, 'train', metainfo=dict(classes=('a', 'b')))
    root = _copy_release(release, tmp_path)
    os.remove(osp.join(root, layout.LABEL_INDEX))
    with pytest.raises(FileNotFoundError, match='label2idx.json'):
        AVSBenchSemanticDataset(root, 'train')
    with open(osp.join(root, layout.LABEL_INDEX), 'w') as f:
        f.write('{"background": 1, "dog": 2')
    with pytest.raises(ValueError, match='not valid JSON'):
        AVSBenchSemanticDataset(root, 'train')


def test_labels_need_the_frames_first():
    pipeline = Compose([dict(type='LoadClipSemanticLabels', num_classes=71)])
    with pytest.raises(KeyError, match='put LoadClipFrames before it'):
        pipeline(dict(mask_paths=[None], frame_paths=['x.jpg']))
