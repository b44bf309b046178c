"""The synthetic AVSBench generator (``projects.transavs.datasets.synthetic``): exact layout,
determinism, masks, category sounds, argument checks."""
import csv
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import soundfile
import torch

from projects.transavs.datasets import synthetic as tool
from projects.transavs.datasets.safe_pickle import load_tensor_pickle
from projects.transavs.datasets.transforms.vggish_frontend import waveform_to_examples

VIDEOS = 3  # per split
CATEGORIES = tool.CATEGORIES[:5]  # the default --num-categories


@pytest.fixture(scope='module')
def s4(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('syn') / 'Single-source')
    plans = tool.generate_dataset(root, 's4', VIDEOS, seed=0)
    return root, plans


@pytest.fixture(scope='module')
def ms3(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('syn') / 'Multi-sources')
    plans = tool.generate_dataset(root, 'ms3', VIDEOS, seed=3, size=128)
    return root, plans


def _all_files(root):
    return {osp.relpath(osp.join(d, f), root) for d, _, files in os.walk(root) for f in files}


def _read_csv(root, subset):
    with open(osp.join(root, f'{subset}_meta_data.csv'), newline='') as f:
        return list(csv.reader(f))


def test_s4_exact_layout(s4):
    root, plans = s4
    rows = _read_csv(root, 's4')
    assert rows[0] == ['name', 'start_time', 'category', 'split']
    assert [r[3] for r in rows[1:]] == ['train'] * VIDEOS + ['val'] * VIDEOS + ['test'] * VIDEOS
    assert [r[0] for r in rows[1:]] == [f'syn_s4_{i:06d}' for i in range(3 * VIDEOS)]
    expected = {'s4_meta_data.csv'}
    for name, _, category, split in rows[1:]:
        assert category in CATEGORIES
        for i in range(1, 6):
            expected.add(f's4_data/visual_frames/{split}/{category}/{name}/{name}_{i}.png')
            if split != 'train' or i == 1:
                expected.add(f's4_data/gt_masks/{split}/{category}/{name}/{name}_{i}.png')
        expected.add(f's4_data/audio_wav/{split}/{category}/{name}.wav')
        expected.add(f's4_data/audio_log_mel/{split}/{category}/{name}.pkl')
    assert _all_files(root) == expected
    assert len(expected) == 1 + 9 * 5 + 3 * 1 + 6 * 5 + 2 * 9
    assert {p.category for p in plans} == set(CATEGORIES)  # balanced over categories


def test_ms3_exact_layout(ms3):
    root, plans = ms3
    rows = _read_csv(root, 'ms3')
    assert rows[0][0] == 'name' and rows[0][-1] == 'split'
    # + the clips' sounding categories, which the official MS3 release does not have
    expected = {'ms3_meta_data.csv', 'ms3_categories.csv'}
    for row in rows[1:]:
        name, split = row[0], row[-1]
        for i in range(1, 6):
            expected.add(f'ms3_data/visual_frames/{name}/{name}.mp4_{i}.png')
            expected.add(f'ms3_data/gt_masks/{split}/{name}/{name}_{i}.png')
        expected.add(f'ms3_data/audio_wav/{split}/{name}.wav')
        expected.add(f'ms3_data/audio_log_mel/{split}/{name}.pkl')
    assert _all_files(root) == expected and len(rows) == 1 + 3 * VIDEOS
    with open(osp.join(root, 'ms3_categories.csv')) as f:
        categories = [line.strip().split(',') for line in f]
    assert categories[0] == ['vid', 'a_obj']
    assert [row[0] for row in categories[1:]] == [row[0] for row in rows[1:]]
    for plan, (_, a_obj) in zip(plans, categories[1:]):
        assert a_obj.split('_') == list(dict.fromkeys(
            c.replace('_', '-') for c in plan.sounding_categories))


def test_file_formats(s4, ms3):
    for (root, plans), size in ((s4, 224), (ms3, 128)):
        for frame_file in [p for p in _all_files(root) if 'visual_frames' in p][:5]:
            frame = cv2.imread(osp.join(root, frame_file), cv2.IMREAD_UNCHANGED)
            assert frame.shape == (size, size, 3) and frame.dtype == np.uint8
        for mask_file in [p for p in _all_files(root) if 'gt_masks' in p]:
            mask = cv2.imread(osp.join(root, mask_file), cv2.IMREAD_UNCHANGED)
            assert mask.shape == (size, size) and set(np.unique(mask)) == {0, 255}
        for wav_file in [p for p in _all_files(root) if p.endswith('.wav')][:4]:
            wav = osp.join(root, wav_file)
            info = soundfile.info(wav)
            assert (info.samplerate, info.channels, info.frames) == (16000, 1, 80000)
            assert info.subtype == 'PCM_16'
            log_mel = load_tensor_pickle(wav.replace('audio_wav', 'audio_log_mel')[:-4] + '.pkl')
            assert log_mel.dtype == torch.float32 and log_mel.shape == (5, 1, 96, 64)
            samples, _ = soundfile.read(wav, dtype='int16')
            torch.testing.assert_close(log_mel, waveform_to_examples(samples, 16000))


def _near(frame, colour, tol=30):
    """Pixels within ``tol`` of ``colour`` in every channel: bool [H, W]."""
    return (np.abs(frame.astype(int) - np.asarray(colour)).max(axis=-1) < tol)


def _check_masks(root, plans, subset):
    from projects.transavs.datasets import avsbench_layout as layout
    clips_with_distractors = 0
    for plan in plans:
        sounding = [o for o in plan.objects if o.sounding]
        silent = [o for o in plan.objects if not o.sounding]
        assert len(sounding) == 1 if subset == 's4' else 2 <= len(sounding) <= 3
        assert (0 if subset == 's4' else 1) <= len(silent) <= 2
        assert not {o.category for o in sounding} & {o.category for o in silent}
        if subset == 's4':
            assert sounding[0].category == plan.category
        clips_with_distractors += bool(silent)
        for i, valid in enumerate(layout.annotated_frames(subset, plan.split), start=1):
            if not valid:
                continue
            frame = cv2.imread(layout.frame_path(root, subset, plan.split, plan.name,
                                                 plan.category, i))[..., ::-1]
            mask = cv2.imread(layout.mask_path(root, subset, plan.split, plan.name,
                                               plan.category, i), cv2.IMREAD_UNCHANGED) > 0
            colours = [tool.category_colour(tool.CATEGORIES.index(o.category))
                       for o in sounding]
            near_sounding = np.any([_near(frame, c) for c in colours], axis=0)
            # Under the mask: only the sounding objects' colours ...
            assert near_sounding[mask].mean() > 0.99
            for colour in colours:  # ... every sounding object is visible ...
                assert (_near(frame, colour) & mask).sum() > 50
            # ... and none of their pixels is left out of the mask.
            assert (near_sounding & ~mask).sum() < 0.01 * mask.sum()
            for obj in silent:  # silent distractors are drawn, outside the mask
                near = _near(frame, tool.category_colour(tool.CATEGORIES.index(obj.category)))
                assert (near & ~mask).sum() > 50 and (near & mask).sum() == 0
    assert clips_with_distractors >= (2 if subset == 's4' else len(plans))


def test_masks_hold_only_sounding_objects_s4(s4):
    _check_masks(*s4, 's4')


def test_masks_hold_only_sounding_objects_ms3(ms3):
    _check_masks(*ms3, 'ms3')


def _spectrum(path):
    samples, rate = soundfile.read(path)
    assert rate == 16000
    magnitude = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return np.fft.rfftfreq(len(samples), 1 / rate), magnitude


def _peak_near(freqs, magnitude, f0, width=3.0):
    return magnitude[np.abs(freqs - f0) < width].max()


def test_audio_is_the_sounding_categories_signature(s4, ms3):
    from projects.transavs.datasets import avsbench_layout as layout
    for (root, plans), subset in ((s4, 's4'), (ms3, 'ms3')):
        for plan in plans:
            freqs, magnitude = _spectrum(layout.audio_wav_path(root, subset, plan.split,
                                                               plan.name, plan.category))
            floor = np.median(magnitude)
            if subset == 's4':  # the strongest partial is the category's fundamental
                f0 = tool.category_sound_params(tool.CATEGORIES.index(plan.category))['freqs'][0]
                assert abs(freqs[np.argmax(magnitude)] - f0) < 1.0
            for category in CATEGORIES:
                f0 = tool.category_sound_params(tool.CATEGORIES.index(category))['freqs'][0]
                peak = _peak_near(freqs, magnitude, f0) / floor
                if category in plan.sounding_categories:
                    assert peak > 100, (plan.name, category)
                else:  # distractors and absent categories are silent
                    assert peak < 10, (plan.name, category)
    fundamentals = [tool.category_sound_params(k)['freqs'][0] for k in range(len(CATEGORIES))]
    assert min(np.diff(sorted(fundamentals))) > 50


def test_same_category_sounds_alike(s4):
    root, plans = s4
    from projects.transavs.datasets import avsbench_layout as layout
    profiles = {}
    for plan in plans:  # the mean log-mel over time: [64]
        log_mel = load_tensor_pickle(layout.log_mel_pkl_path(root, 's4', plan.split, plan.name,
                                                             plan.category))
        profiles[plan.name] = (plan.category, log_mel.mean(dim=(0, 1, 2)))
    same, different = [], []
    names = sorted(profiles)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            distance = (profiles[a][1] - profiles[b][1]).norm().item()
            (same if profiles[a][0] == profiles[b][0] else different).append(distance)
    assert same and different and max(same) < min(different)


def test_deterministic_for_a_seed(tmp_path):
    for out, seed in (('a', 0), ('b', 0), ('c', 1)):
        tool.generate_dataset(str(tmp_path / out), 'ms3', 2, splits=['val'], seed=seed, size=64)
    files = _all_files(str(tmp_path / 'a'))
    assert files == _all_files(str(tmp_path / 'b')) and len(files) == 2 + 2 * 12
    for rel in files:
        if rel.endswith('.pkl'):  # pickled tensors embed a memory address: compare values
            assert torch.equal(load_tensor_pickle(tmp_path / 'a' / rel),
                               load_tensor_pickle(tmp_path / 'b' / rel)), rel
        else:
            assert (tmp_path / 'a' / rel).read_bytes() == (tmp_path / 'b' / rel).read_bytes(), rel
    differing = [rel for rel in files if rel.endswith('.png') and 'visual_frames' in rel and
                 (tmp_path / 'a' / rel).read_bytes() != (tmp_path / 'c' / rel).read_bytes()]
    assert len(differing) == 10  # another seed, other pictures
    # Indices run over the written splits only.
    assert sorted(os.listdir(tmp_path / 'a' / 'ms3_data' / 'visual_frames')) == [
        'syn_ms3_000000', 'syn_ms3_000001']


def test_counts_per_split(tmp_path):
    plans = tool.generate_dataset(str(tmp_path), 's4', [3, 1, 2], size=48, seed=0)
    with open(tmp_path / 's4_meta_data.csv') as f:
        rows = [line.strip().split(',') for line in f][1:]
    assert [r[-1] for r in rows] == ['train'] * 3 + ['val'] + ['test'] * 2
    assert [r[0] for r in rows] == [f'syn_s4_{i:06d}' for i in range(6)]
    assert [p.name for p in plans] == [r[0] for r in rows]
    with pytest.raises(ValueError, match='one count >= 1, or one per split'):
        tool.generate_dataset(str(tmp_path), 's4', [3, 1])


def test_splits_are_written_in_the_official_order(tmp_path):
    """Counts go with the splits as given; the splits are written train, val, test."""
    plans = tool.generate_dataset(str(tmp_path), 's4', [2, 3], splits=['test', 'train'],
                                  size=32, progress=False)
    assert [p.split for p in plans] == ['train'] * 3 + ['test'] * 2
    assert [p.name for p in plans] == [f'syn_s4_{i:06d}' for i in range(5)]


@pytest.mark.parametrize('kwargs, message', [
    (dict(subset='ms3', num_categories=2), r'num_categories must be in \[3, 23\]'),
    (dict(subset='s4', num_categories=24), r'num_categories must be in \[1, 23\]'),
    (dict(subset='s5'), 'subset must be one of'),
    (dict(subset='s4', splits=['train', 'train']), 'splits must be distinct'),
    (dict(subset='s4', splits=['dev']), 'splits must be distinct'),
    (dict(subset='s4', sounding=(2, 3)), 'sounding .* is for ms3'),
    (dict(subset='ms3', sounding=(1, 3)), 'sounding .* is for ms3'),
    (dict(subset='ms3', sounding=(3, 2)), 'sounding .* is for ms3'),
    (dict(subset='s4', videos_per_split=0), 'one count >= 1'),
    (dict(subset='s4', size=31), 'size must be >= 32'),
    (dict(subset='ms3', categories=['cat_meowing', 'violin']), 'distinct S4 categories'),
    (dict(subset='ms3', categories=['cat_meowing'] * 3), 'distinct S4 categories'),
])
def test_bad_arguments_write_nothing(tmp_path, kwargs, message):
    kwargs = dict(dict(videos_per_split=2), **kwargs)
    with pytest.raises(ValueError, match=message):
        tool.generate_dataset(str(tmp_path / 'out'), **kwargs)
    assert not os.listdir(tmp_path)


def test_distractor_range_and_object_masks():
    plans = tool.plan_dataset('s4', ['train'], [12], seed=3, num_categories=5,
                              distractors=(2, 2))
    assert all(sum(not o.sounding for o in p.objects) == 2 for p in plans)
    frames, masks, objects = tool.render_frames(plans[0], 64)
    assert objects.shape == masks.shape == (5, 64, 64)
    assert (objects | ~masks).all()  # sounding pixels are object pixels
    assert objects.sum() > masks.sum()  # and the silent distractors show too


def test_sounding_range_ms3():
    plans = tool.plan_dataset('ms3', ['train'], [10], seed=1, num_categories=6,
                              sounding=(3, 3))
    assert all(len(p.sounding_categories) == 3 for p in plans)
    assert all(p.category is None for p in plans)


def test_silent_lookalikes_share_a_sounding_shape():
    """``lookalikes=True``: silent distractors of a sounding object's shape come first (another
    colour and sound), the rest only when there are not enough of them."""
    from projects.transavs.demo.data import HARD_CATEGORIES
    shape = {c: tool.category_shape(tool.category_index(c)) for c in HARD_CATEGORIES}
    assert sorted(shape.values()) == sorted(sorted(set(shape.values())) * 2)  # 4 shapes, 2 each
    plans = tool.plan_dataset('ms3', ['train'], [40], seed=2, num_categories=8,
                              categories=HARD_CATEGORIES, sounding=(2, 3), distractors=(2, 2),
                              lookalikes=True)
    fewer = 0
    for plan in plans:
        sounding = {shape[c] for c in plan.sounding_categories}
        silent = [o.category for o in plan.objects if not o.sounding]
        candidates = [c for c in HARD_CATEGORIES
                      if c not in plan.sounding_categories and shape[c] in sounding]
        assert len(silent) == 2 and 2 <= len(plan.sounding_categories) <= 3
        alike = [c for c in silent if shape[c] in sounding]
        assert len(alike) == min(2, len(candidates)), plan.name
        fewer += len(candidates) < 2
    assert fewer < len(plans) // 2  # most clips get two look-alikes
    # without the option: the same sounding objects, silent ones drawn from all the others
    plain = tool.plan_dataset('ms3', ['train'], [40], seed=2, num_categories=8,
                              categories=HARD_CATEGORIES, sounding=(2, 3), distractors=(2, 2))
    assert [sorted(p.sounding_categories) for p in plain] == \
        [sorted(p.sounding_categories) for p in plans]
    assert sum(shape[o.category] in {shape[c] for c in p.sounding_categories}
               for p in plain for o in p.objects if not o.sounding) < \
        sum(shape[o.category] in {shape[c] for c in p.sounding_categories}
            for p in plans for o in p.objects if not o.sounding)
