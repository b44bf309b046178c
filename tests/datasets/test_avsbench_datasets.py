"""AVSBenchS4Dataset / AVSBenchMS3Dataset on synthetic trees: counts, paths, flags, errors."""
import csv
import os
import os.path as osp
import shutil

import pytest
from mmseg.registry import DATASETS

from projects.transavs.datasets import AVSBenchMS3Dataset, AVSBenchS4Dataset
from projects.transavs.datasets import avsbench_layout as layout

SPLITS = ('train', 'val', 'test')


def _csv_rows(root: str, subset: str):
    with open(layout.meta_csv_path(root, subset), newline='') as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize('split', SPLITS)
def test_s4_every_split(s4_root, split, videos_per_split):
    ds = AVSBenchS4Dataset(data_root=s4_root, split=split)
    assert len(ds) == videos_per_split
    assert ds.metainfo['classes'] == ('background', 'sounding')
    assert ds.metainfo['subset'] == 's4'
    rows = [r for r in _csv_rows(s4_root, 's4') if r['split'] == split]
    mask_dir = layout.mask_split_dir(s4_root, 's4', split)
    for idx, row in enumerate(rows):
        info = ds.get_data_info(idx)
        assert info['sample_idx'] == idx
        assert (info['video_name'], info['category']) == (row['name'], row['category'])
        assert (info['subset'], info['split'], info['num_frames'], info['clip_seconds']) == (
            's4', split, 5, 5)
        assert len(info['frame_paths']) == 5 and all(map(osp.isfile, info['frame_paths']))
        # The real S4 folder structure, spelled out independently of the layout module.
        name, cat = row['name'], row['category']
        assert info['frame_paths'][2] == osp.join(s4_root, 's4_data', 'visual_frames', split,
                                                  cat, name, f'{name}_3.png')
        expected_valid = [True, False, False, False, False] if split == 'train' else [True] * 5
        assert info['gt_valid'] == expected_valid
        assert [p is not None for p in info['mask_paths']] == expected_valid
        assert [p is not None for p in info['mask_rel_paths']] == expected_valid
        for path, rel in zip(info['mask_paths'], info['mask_rel_paths']):
            if path is not None:
                assert osp.isfile(path) and osp.join(mask_dir, rel) == path
        assert info['mask_rel_paths'][0] == f'{cat}/{name}/{name}_1.png'
        assert info['audio_path'] == osp.join(s4_root, 's4_data', 'audio_wav', split, cat,
                                              f'{name}.wav')
        assert osp.isfile(info['audio_path']) and osp.isfile(info['log_mel_path'])
        assert info['log_mel_cache_path'] == layout.log_mel_npy_path(s4_root, 's4', split, name,
                                                                     cat)


@pytest.mark.parametrize('split', SPLITS)
def test_ms3_every_split(ms3_root, split, videos_per_split):
    ds = DATASETS.build(dict(type='AVSBenchMS3Dataset', data_root=ms3_root, split=split))
    assert isinstance(ds, AVSBenchMS3Dataset)
    assert len(ds) == videos_per_split
    assert ds.metainfo['subset'] == 'ms3'
    names = [r['name'] for r in _csv_rows(ms3_root, 'ms3') if r['split'] == split]
    assert [ds.get_data_info(i)['video_name'] for i in range(len(ds))] == names
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        name = info['video_name']
        assert info['category'] is None and info['subset'] == 'ms3'
        assert info['gt_valid'] == [True] * 5
        assert info['frame_paths'][4] == osp.join(ms3_root, 'ms3_data', 'visual_frames', name,
                                                  f'{name}.mp4_5.png')
        assert info['mask_rel_paths'] == [f'{name}/{name}_{k}.png' for k in range(1, 6)]
        files = info['frame_paths'] + info['mask_paths'] + [info['audio_path'],
                                                            info['log_mel_path']]
        assert len(files) == 12 and all(map(osp.isfile, files))


def test_base_dataset_kwargs(s4_root, tmp_path, videos_per_split):
    ds = AVSBenchS4Dataset(data_root=s4_root, split='val', indices=2, serialize_data=False,
                           test_mode=True, log_mel_cache_root=str(tmp_path))
    assert len(ds) == 2 and ds.test_mode
    assert ds.get_data_info(1)['log_mel_cache_path'].startswith(str(tmp_path))
    lazy = AVSBenchS4Dataset(data_root=s4_root, split='test', lazy_init=True)
    assert not lazy._fully_initialized
    assert len(lazy) == videos_per_split  # loads on first use


def test_bad_arguments(s4_root):
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        AVSBenchS4Dataset(data_root=s4_root, split='dev')
    with pytest.raises(ValueError, match='num_frames'):
        AVSBenchS4Dataset(data_root=s4_root, split='val', num_frames=0)
    with pytest.raises(ValueError, match='check_files got unknown keys'):
        AVSBenchS4Dataset(data_root=s4_root, split='val', check_files=['frames'])


# ---------------------------------------------------------------------- meta CSV
def _write_csv(root, subset, header, rows):
    os.makedirs(root, exist_ok=True)
    with open(layout.meta_csv_path(root, subset), 'w', newline='') as f:
        csv.writer(f).writerows([header] + rows)


def test_first_column_is_the_video_name_whatever_its_header(tmp_path):
    root = str(tmp_path)
    _write_csv(root, 's4', ['vid', 'split', 'extra', 'category'],
               [['a1', 'test', 'x', 'dog_barking'], ['a2', 'train', 'y', 'cat_meowing'],
                ['a3', 'test', 'z', 'helicopter']])
    # CSV only, no files: check_files (on by default) is turned off.
    ds = AVSBenchS4Dataset(data_root=root, split='test', check_files=False)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [(i['video_name'], i['category']) for i in infos] == [('a1', 'dog_barking'),
                                                                 ('a3', 'helicopter')]
    _write_csv(root, 'ms3', ['', 'split'], [['m1', 'val'], ['m2', 'val']])
    ds = AVSBenchMS3Dataset(data_root=root, split='val', check_files=False)
    assert [ds.get_data_info(i)['video_name'] for i in range(2)] == ['m1', 'm2']


def test_missing_csv(tmp_path):
    with pytest.raises(FileNotFoundError, match='s4_meta_data.csv'):
        AVSBenchS4Dataset(data_root=str(tmp_path), split='train')


@pytest.mark.parametrize('subset,header,missing', [
    ('s4', ['name', 'start_time', 'split'], 'category'),
    ('s4', ['name', 'category', 'subset'], 'split'),
    ('ms3', ['name', 'start_time', 'Split'], 'split'),
])
def test_csv_without_needed_columns(tmp_path, subset, header, missing):
    root = str(tmp_path)
    _write_csv(root, subset, header, [['v1', 'a', 'train']])
    cls = AVSBenchS4Dataset if subset == 's4' else AVSBenchMS3Dataset
    with pytest.raises(KeyError) as err:
        cls(data_root=root, split='train')
    assert f'{subset}_meta_data.csv' in str(err.value)
    assert f"no column(s) ['{missing}']" in str(err.value)


def test_empty_split_and_bad_rows(tmp_path):
    root = str(tmp_path)
    _write_csv(root, 'ms3', ['name', 'split'], [['m1', 'train'], ['m2', 'test']])
    with pytest.raises(ValueError, match=r"no video with split == 'val'.*'train': 1, 'test': 1"):
        AVSBenchMS3Dataset(data_root=root, split='val')
    _write_csv(root, 's4', ['name', 'category', 'split'], [['v1', 'dog_barking']])
    with pytest.raises(ValueError, match='line 2 has 2 columns; expected at least 3'):
        AVSBenchS4Dataset(data_root=root, split='train')
    _write_csv(root, 's4', ['name', 'category', 'split'], [])
    with pytest.raises(ValueError, match='s4_meta_data.csv has no video with split'):
        AVSBenchS4Dataset(data_root=root, split='train')


# ---------------------------------------------------------------------- check_files
def test_check_files_reports_every_missing_file(s4_root, tmp_path, videos_per_split):
    root = str(tmp_path / 's4')
    shutil.copytree(s4_root, root)
    AVSBenchS4Dataset(data_root=root, split='val', check_files=True)  # complete: no error
    info = AVSBenchS4Dataset(data_root=root, split='val').get_data_info(1)
    gone = [info['frame_paths'][3], info['mask_paths'][4], info['audio_path'],
            info['log_mel_path']]
    for path in gone:
        os.remove(path)
    with pytest.raises(FileNotFoundError) as err:
        AVSBenchS4Dataset(data_root=root, split='val', check_files=True)
    message = str(err.value)
    assert '4 file(s) missing' in message
    assert all(path in message for path in gone)
    with pytest.raises(FileNotFoundError) as err:
        AVSBenchS4Dataset(data_root=root, split='val', check_files=['frame_paths'])
    assert '1 file(s) missing' in str(err.value) and gone[0] in str(err.value)
    # Unannotated frames are not expected to have masks, and the npy cache is opt-in.
    AVSBenchS4Dataset(data_root=root, split='train', check_files=True)
    with pytest.raises(FileNotFoundError, match=f' {videos_per_split} file'):
        AVSBenchS4Dataset(data_root=root, split='train', check_files=['log_mel_cache_path'])
