"""sounding_categories per clip: S4's CSV category, MS3's category_file (the synthetic set's
ms3_categories.csv, or AVSBench-semantic's metadata.csv), AVSBench-semantic's a_obj."""
import csv
import os.path as osp
import shutil

import pytest
from mmseg.registry import DATASETS

from projects.transavs.datasets.synthetic import CATEGORY_FILE, generate_dataset


def _infos(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def _build(type_, root, split='test', **kwargs):
    return DATASETS.build(dict(type=type_, data_root=root, split=split, **kwargs))


@pytest.fixture(scope='module')
def ms3(tmp_path_factory):
    """A tiny MS3 set (2 clips per split) and its plans."""
    root = str(tmp_path_factory.mktemp('categories_ms3') / 'ms3')
    plans = generate_dataset(root, 'ms3', 2, seed=3, size=32, progress=False)
    return root, plans


def test_s4_clips_have_their_csv_category(s4_root):
    for split in ('train', 'test'):
        infos = _infos(_build('AVSBenchS4Dataset', s4_root, split))
        assert infos and all(info['sounding_categories'] == [info['category']]
                             for info in infos)
    assert not osp.exists(osp.join(s4_root, CATEGORY_FILE))  # S4 output unchanged


def test_ms3_categories_from_the_category_file(ms3):
    root, plans = ms3
    assert all(info['sounding_categories'] is None
               for info in _infos(_build('AVSBenchMS3Dataset', root)))  # none without it
    expected = {p.name: list(dict.fromkeys(c.replace('_', '-') for c in p.sounding_categories))
                for p in plans}
    assert all(len(set(v)) >= 2 for v in expected.values())  # several sources each
    for split in ('train', 'val', 'test'):
        for category_file in (CATEGORY_FILE, osp.join(root, CATEGORY_FILE)):  # rel. / abs.
            infos = _infos(_build('AVSBenchMS3Dataset', root, split,
                                  category_file=category_file))
            assert len(infos) == 2
            for info in infos:
                assert info['sounding_categories'] == expected[info['video_name']]
                assert info['category'] is None


def _write(path, header, rows):
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def test_ms3_category_file_in_the_avsbench_semantic_format(ms3, tmp_path):
    root, plans = ms3
    test = [p.name for p in plans if p.split == 'test']
    # metadata.csv: only the v1m rows count (a v1s / v2 row of the same vid is ignored)
    header = ['vid', 'uid', 's_min', 's_sec', 'a_obj', 'split', 'label']
    rows = [[test[0], 'u0', 0, 0, 'dog', 'test', 'v1s'],
            [test[0], 'u1', 0, 0, 'man_guitar', 'test', 'v1m'],
            [test[1], 'u2', 0, 0, 'piano_woman_violin', 'test', 'v1m'],
            [test[1], 'u3', 0, 0, 'car', 'test', 'v2']]
    _write(tmp_path / 'metadata.csv', header, rows)
    infos = _infos(_build('AVSBenchMS3Dataset', root, category_file=str(tmp_path / 'metadata.csv')))
    assert {i['video_name']: i['sounding_categories'] for i in infos} == {
        test[0]: ['man', 'guitar'], test[1]: ['piano', 'woman', 'violin']}


def test_ms3_category_file_errors(ms3, tmp_path):
    root, plans = ms3
    test = [p.name for p in plans if p.split == 'test']
    _write(tmp_path / 'some.csv', ['vid', 'a_obj'], [[test[0], 'dog']])
    with pytest.raises(ValueError, match=rf"1 of the 2 test clips: \['{test[1]}'\]"):
        _build('AVSBenchMS3Dataset', root, category_file=str(tmp_path / 'some.csv'))
    _write(tmp_path / 'empty.csv', ['vid', 'a_obj'], [[test[0], 'dog'], [test[1], '']])
    with pytest.raises(ValueError, match=test[1]):  # an empty a_obj is no categories
        _build('AVSBenchMS3Dataset', root, category_file=str(tmp_path / 'empty.csv'))
    _write(tmp_path / 'v1s.csv', ['vid', 'a_obj', 'label'], [[n, 'dog', 'v1s'] for n in test])
    with pytest.raises(ValueError, match='no v1m rows.*2 of the 2 test clips'):
        _build('AVSBenchMS3Dataset', root, category_file=str(tmp_path / 'v1s.csv'))
    _write(tmp_path / 'bad.csv', ['name', 'objects'], [[n, 'dog'] for n in test])
    with pytest.raises(KeyError, match='vid and a_obj'):
        _build('AVSBenchMS3Dataset', root, category_file=str(tmp_path / 'bad.csv'))
    with pytest.raises(FileNotFoundError, match='missing.csv'):
        _build('AVSBenchMS3Dataset', root, category_file='missing.csv')


def test_ms3_category_file_lists_many_missing_clips(ms3, tmp_path):
    root, _ = ms3
    copy = str(tmp_path / 'ms3')
    shutil.copytree(root, copy)
    with open(osp.join(copy, 'ms3_meta_data.csv'), 'a', newline='') as f:
        csv.writer(f).writerows([[f'extra_{i}', 0, 'test'] for i in range(7)])
    _write(osp.join(copy, 'none.csv'), ['vid', 'a_obj'], [['other', 'dog']])
    with pytest.raises(ValueError, match=r"9 of the 9 test clips: \[.*\] and 4 more"):
        _build('AVSBenchMS3Dataset', copy, category_file='none.csv', check_files=False)


def test_avsbench_semantic_clips_have_their_a_obj(avss_root):
    with open(osp.join(avss_root, 'metadata.csv'), newline='') as f:
        a_obj = {row['uid']: row['a_obj'] for row in csv.DictReader(f)}
    infos = _infos(_build('AVSBenchSemanticDataset', avss_root))
    assert len(infos) == 3
    for info in infos:
        assert info['sounding_categories'] == a_obj[info['video_name']].split('_')
        assert info['sounding_categories'] and all(info['sounding_categories'])


def test_off_screen_hints_say_where_categories_come_from(avss_root, tmp_path):
    """AVSBench-semantic without a_obj: the off-screen error names metadata.csv's a_obj column
    (not the MS3 category_file) and how to test the other conditions."""
    from mmseg.registry import TRANSFORMS
    root = str(tmp_path / 'avss')
    shutil.copytree(avss_root, root)
    meta = osp.join(root, 'metadata.csv')
    with open(meta, newline='') as f:
        rows = list(csv.DictReader(f))
    with open(meta, 'w', newline='') as f:
        columns = [c for c in rows[0] if c != 'a_obj']
        writer = csv.DictWriter(f, columns, extrasaction='ignore')
        writer.writeheader()
        writer.writerows(rows)
    pool = _build('AVSBenchSemanticDataset', root)
    transform = TRANSFORMS.build(dict(type='OffScreenAudio', dataset=pool,
                                      audio_pipeline=[dict(type='LoadAudioWaveform')]))
    results = TRANSFORMS.build(dict(type='LoadAudioWaveform'))(dict(pool.get_data_info(0)))
    with pytest.raises(ValueError) as error:
        transform(results)
    text = str(error.value)
    assert f'a_obj column of {root}/metadata.csv, which is missing or empty' in text
    assert 'category_file' not in text
    assert 'tools/test.py CONFIG CHECKPOINT --robustness silence noise' in text
