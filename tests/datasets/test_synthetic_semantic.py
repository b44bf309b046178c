"""The synthetic AVSBench-semantic generator (``generate_semantic_dataset`` and
``tools/make_synthetic_avsbench.py --subset avss``): exact layout, metadata, JPEG frames at a
non-square size, palette labels that hold only the sounding classes, audio lengths,
determinism, argument checks."""
import csv
import itertools
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import soundfile
from PIL import Image
from tool_runs import run_tool

from projects.transavs.datasets import avsbench_semantic_layout as layout
from projects.transavs.datasets import synthetic as syn
from projects.transavs.datasets.semantic_palette import (
    AVSS_CLASSES,
    bit_palette,
    colour_to_label,
    read_label_index,
)

FRAME_SIZE = (112, 80)  # (w, h): not square, not 224
VIDEOS = {'v1s': 2, 'v1m': 1, 'v2': [1, 1, 1]}  # per split of train, val, test
PALETTE = bit_palette(71)


@pytest.fixture(scope='module')
def avss(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('syn') / 'AVSBench-semantic')
    plans = syn.generate_semantic_dataset(root, VIDEOS, seed=0, frame_size=FRAME_SIZE,
                                          num_categories=5, progress=False)
    return root, plans


def _all_files(root):
    return {osp.relpath(osp.join(d, f), root) for d, _, files in os.walk(root) for f in files}


def _rel(root, path):
    return osp.relpath(path, root)


def _read_rgb(path):
    image = Image.open(path)
    assert image.mode == 'RGB', path
    return np.asarray(image)


def test_exact_layout(avss):
    root, plans = avss
    assert [(p.subset, p.split) for p in plans] == [
        ('v1s', 'train')] * 2 + [('v1s', 'val')] * 2 + [('v1s', 'test')] * 2 + [
        ('v1m', 'train'), ('v1m', 'val'), ('v1m', 'test'),
        ('v2', 'train'), ('v2', 'val'), ('v2', 'test')]
    expected = {layout.META_CSV, layout.LABEL_INDEX}
    for plan in plans:
        num = layout.SUBSET_FRAMES[plan.subset]
        assert num == (10 if plan.subset == 'v2' else 5) == plan.num_frames
        for i, annotated in enumerate(layout.annotated_frames(plan.subset, plan.split)):
            expected.add(_rel(root, layout.frame_path(root, plan.subset, plan.name, i)))
            if annotated:
                expected.add(_rel(root, layout.label_path(root, plan.subset, plan.name, i)))
        expected.add(_rel(root, layout.audio_path(root, plan.subset, plan.name)))
    assert _all_files(root) == expected
    # 6 v1s clips (train: 1 label), 3 v1m clips, 3 v2 clips with 10 frames and labels.
    assert len(expected) == 2 + (6 * 5 + 2 * 1 + 4 * 5) + 3 * 10 + 3 * 20 + 12
    for uid in ('syn_v1s_000000', 'syn_v1s_000001'):  # v1s train: only labels_rgb/0.png
        assert os.listdir(osp.join(root, 'v1s', uid, 'labels_rgb')) == ['0.png']
    assert sorted(os.listdir(osp.join(root, 'v2', 'syn_v2_000000', 'frames'))) == sorted(
        f'{i}.jpg' for i in range(10))


def test_metadata_csv(avss):
    root, plans = avss
    with open(osp.join(root, layout.META_CSV), newline='', encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    with open(osp.join(root, layout.META_CSV), encoding='utf-8') as f:
        assert f.readline().strip() == 'vid,uid,s_min,s_sec,a_obj,split,label'
    assert len(rows) == len(plans)
    assert [r['uid'] for r in rows] == (
        [f'syn_v1s_{i:06d}' for i in range(6)] + [f'syn_v1m_{i:06d}' for i in range(3)] +
        [f'syn_v2_{i:06d}' for i in range(3)])
    assert [r['vid'] for r in rows] == [f'syn_vid_{n:06d}' for n in range(12)]  # unique
    categories = set(AVSS_CLASSES[1:6])
    for row, plan in zip(rows, plans):
        assert (row['uid'], row['split'], row['label']) == (plan.name, plan.split, plan.subset)
        assert 60 * int(row['s_min']) + int(row['s_sec']) == plan.start_time
        assert 0 <= int(row['s_sec']) < 60
        sounding = row['a_obj'].split('_')  # class names use '-', never '_'
        assert sounding == sorted(plan.sounding_categories, key=AVSS_CLASSES.index)
        assert set(sounding) <= categories
        expected = {'v1s': (1, 1), 'v1m': (2, 3), 'v2': (1, 3)}[plan.subset]
        assert expected[0] <= len(sounding) <= expected[1]
        if plan.subset == 'v1s':
            assert plan.category == row['a_obj']
    # v1s categories cycle through the classes (balanced), as the S4 ones.
    assert [r['a_obj'] for r in rows[:5]] == list(AVSS_CLASSES[1:6])


def test_label_index(avss):
    root, _ = avss
    path = osp.join(root, layout.LABEL_INDEX)
    with open(path, encoding='utf-8') as f:
        index = json.load(f)
    assert list(index) == list(AVSS_CLASSES) and len(index) == 71
    assert list(index.values()) == list(range(1, 72))
    assert read_label_index(path) == AVSS_CLASSES
    assert not any('_' in name for name in AVSS_CLASSES)  # a_obj splits back


def test_frames_are_jpeg_at_the_frame_size(avss):
    root, plans = avss
    width, height = FRAME_SIZE
    for plan in (plans[0], plans[-1]):
        frames, _, _ = syn.render_semantic(plan, FRAME_SIZE)
        assert frames.shape == (plan.num_frames, height, width, 3)
        for i in range(plan.num_frames):
            path = layout.frame_path(root, plan.subset, plan.name, i)
            with open(path, 'rb') as f:
                assert f.read(3) == b'\xff\xd8\xff'  # JPEG
            frame = cv2.imread(path)[..., ::-1]
            assert frame.shape == (height, width, 3)
            # quality 95 (chroma subsampled): close to the drawing once the grain is smoothed
            smooth = [cv2.blur(x.astype(np.float32), (5, 5)) for x in (frame, frames[i])]
            assert np.abs(smooth[0] - smooth[1]).mean() < 3


def test_labels_hold_only_the_sounding_classes(avss):
    root, plans = avss
    with_distractors = 0
    for plan in plans:
        sounding = {AVSS_CLASSES.index(c) for c in plan.sounding_categories}
        silent = [o for o in plan.objects if not o.sounding]
        assert not {o.category for o in silent} & set(plan.sounding_categories)
        with_distractors += bool(silent)
        frames, labels, objects = syn.render_semantic(plan, FRAME_SIZE)
        seen = set()
        for i, annotated in enumerate(layout.annotated_frames(plan.subset, plan.split)):
            if not annotated:
                continue
            decoded = colour_to_label(_read_rgb(layout.label_path(root, plan.subset,
                                                                  plan.name, i)), PALETTE)
            np.testing.assert_array_equal(decoded, labels[i])  # exact palette colours
            assert set(np.unique(decoded)) <= sounding | {0}
            seen |= set(np.unique(decoded)) - {0}
            frame = cv2.imread(layout.frame_path(root, plan.subset, plan.name, i))[..., ::-1]
            for obj in silent:  # drawn in the frame, absent from the labels
                cls = AVSS_CLASSES.index(obj.category)
                shown = objects[i] == cls
                assert shown.sum() > 30 and not (decoded == cls).any()
                # in its colour (JPEG smears the chroma of small shapes: the median, and the
                # nearest of the colours in use)
                median = np.median(frame[shown], axis=0)
                distance = {c: np.abs(median - syn.category_colour(syn.category_index(c))).max()
                            for c in AVSS_CLASSES[1:6]}
                assert distance[obj.category] < 40
                assert min(distance, key=distance.get) == obj.category
        assert seen == sounding  # every sounding object is labelled
    assert with_distractors >= len(plans) - 3


def test_every_object_reference(avss):
    _, plans = avss
    plan = plans[-1]  # v2
    frames, labels, objects = syn.render_semantic(plan, FRAME_SIZE)
    _, owners = syn.render_owners(plan, FRAME_SIZE)
    _, masks, object_masks = syn.render_frames(plan, FRAME_SIZE)
    assert labels.shape == objects.shape == owners.shape == (10, 80, 112)
    assert labels.dtype == objects.dtype == np.uint8
    np.testing.assert_array_equal(masks, labels > 0)
    np.testing.assert_array_equal(object_masks, objects > 0)
    np.testing.assert_array_equal(labels, syn.owners_to_labels(plan, owners))
    on_sounding = labels > 0
    np.testing.assert_array_equal(objects[on_sounding], labels[on_sounding])
    assert set(np.unique(objects)) == {0} | {AVSS_CLASSES.index(o.category)
                                             for o in plan.objects}


def test_audio_lengths_and_sounds(avss):
    root, plans = avss
    for plan in plans:
        path = layout.audio_path(root, plan.subset, plan.name)
        info = soundfile.info(path)
        seconds = 10 if plan.subset == 'v2' else 5
        assert (info.samplerate, info.channels, info.frames) == (16000, 1, seconds * 16000)
        assert info.subtype == 'PCM_16'
        samples, _ = soundfile.read(path)
        magnitude = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
        freqs = np.fft.rfftfreq(len(samples), 1 / 16000)
        floor = np.median(magnitude)
        for category in AVSS_CLASSES[1:6]:
            f0 = syn.category_sound_params(syn.category_index(category))['freqs'][0]
            peak = magnitude[np.abs(freqs - f0) < 3.0].max() / floor
            if category in plan.sounding_categories:
                assert peak > 100, (plan.name, category)
            else:  # distractors and absent classes are silent
                assert peak < 10, (plan.name, category)


def test_every_category_has_its_own_look_and_sound():
    looks = [(syn.category_shape(k), syn.category_colour(k)) for k in range(syn.NUM_LOOKS)]
    assert len(set(looks)) == syn.NUM_LOOKS == 92
    sounds = [syn.category_sound_params(k)['freqs'][0] for k in range(syn.NUM_LOOKS)]
    assert min(np.diff(sorted(sounds)) / np.array(sorted(sounds))[:-1]) > 0.01
    names = syn.CATEGORIES + syn.SEMANTIC_CATEGORIES
    assert len({syn.category_index(n) for n in names}) == syn.NUM_LOOKS
    # S4 categories keep their index (their data is unchanged); 'helicopter' is in both.
    assert [syn.category_index(c) for c in syn.CATEGORIES] == list(range(23))
    assert syn.category_index('helicopter') == 9
    with pytest.raises(ValueError, match='unknown synthetic category'):
        syn.category_index('background')
    # The first 12 AVSS classes: clearly different colours or shapes, well-separated pitches.
    first = [syn.category_index(c) for c in syn.SEMANTIC_CATEGORIES[:12]]
    for a, b in itertools.combinations(first, 2):
        distance = np.abs(np.subtract(syn.category_colour(a), syn.category_colour(b))).max()
        assert distance > 30 or syn.category_shape(a) != syn.category_shape(b)
    pitches = sorted(syn.category_sound_params(k)['freqs'][0] for k in first)
    assert min(np.diff(pitches)) > 20


def test_shapes_keep_their_size_on_non_square_frames():
    plan = syn.plan_semantic_dataset({'v2': 1}, splits=['test'], num_categories=3,
                                     distractors=(0, 0), sounding={'v2': (1, 1)})[0]
    areas = {}
    for size in ((96, 96), (192, 96), (96, 192)):
        _, owners = syn.render_owners(plan, size, num_frames=1)
        areas[size] = (owners >= 0).sum()
    assert areas[(96, 96)] > 100
    for size in ((192, 96), (96, 192)):  # radius relative to the shorter side: not stretched
        assert abs(areas[size] / areas[(96, 96)] - 1) < 0.1


def test_deterministic_for_a_seed(tmp_path):
    videos = {'v1s': 1, 'v2': 1}
    for out, seed in (('a', 0), ('b', 0), ('c', 1)):
        syn.generate_semantic_dataset(str(tmp_path / out), videos, splits=['val'], seed=seed,
                                      frame_size=(64, 48), num_categories=4, progress=False)
    files = _all_files(str(tmp_path / 'a'))
    assert files == _all_files(str(tmp_path / 'b')) and len(files) == 2 + 11 + 21
    for rel in files:
        assert (tmp_path / 'a' / rel).read_bytes() == (tmp_path / 'b' / rel).read_bytes(), rel
    differing = [rel for rel in files if rel.endswith('.jpg') and
                 (tmp_path / 'a' / rel).read_bytes() != (tmp_path / 'c' / rel).read_bytes()]
    assert len(differing) == 15  # another seed, other pictures


def test_s4_and_ms3_streams_come_first():
    """The random streams of S4 / MS3 are seeded as before the semantic subsets existed."""
    assert syn.PLANNED_SUBSETS == ('s4', 'ms3', 'v1s', 'v1m', 'v2')
    plan = syn.plan_video('s4', 'train', 0, 0, syn.CATEGORIES[:5])
    assert plan.vid is None and plan.num_frames == 5


def test_counts_splits_and_ranges(tmp_path):
    plans = syn.generate_semantic_dataset(
        str(tmp_path), {'v2': {'test': 2, 'train': 1}, 'v1m': [0, 2]}, splits=['test', 'train'],
        frame_size=(48, 32), num_categories=8, distractors={'v2': (2, 2)},
        sounding={'v1m': (3, 3), 'v2': (2, 2)}, progress=False)
    # Subsets v1s, v1m, v2; splits in the official order; counts go with the splits given.
    assert [(p.subset, p.split, p.name) for p in plans] == [
        ('v1m', 'train', 'syn_v1m_000000'), ('v1m', 'train', 'syn_v1m_000001'),
        ('v2', 'train', 'syn_v2_000000'), ('v2', 'test', 'syn_v2_000001'),
        ('v2', 'test', 'syn_v2_000002')]
    assert not osp.exists(tmp_path / 'v1s')
    for plan in plans:
        silent = sum(not o.sounding for o in plan.objects)
        assert len(plan.sounding_categories) == (3 if plan.subset == 'v1m' else 2)
        assert silent == 2 if plan.subset == 'v2' else 1 <= silent <= 2
    assert syn.plan_semantic_dataset({'v2': 2}, num_categories=8, distractors={'v2': (2, 2)},
                                     sounding={'v1m': (3, 3), 'v2': (2, 2)},
                                     splits=['test', 'train'])[0].objects == plans[2].objects


@pytest.mark.parametrize('kwargs, message', [
    (dict(videos={'s4': 2}), 'videos must map subsets'),
    (dict(videos={}), 'videos must map subsets'),
    (dict(videos={'v1s': 0}), r"videos\['v1s'\] needs one count"),
    (dict(videos={'v1s': [1, 2]}), r"videos\['v1s'\] needs one count"),
    (dict(videos={'v1s': {'dev': 1}}), r"videos\['v1s'\] needs one count"),
    (dict(videos={'v1s': -1}), r"videos\['v1s'\] needs one count"),
    (dict(splits=['train', 'train']), 'splits must be distinct'),
    (dict(splits=['dev']), 'splits must be distinct'),
    (dict(splits=[]), 'splits must be distinct'),
    (dict(frame_size=(31, 64)), r'frame_size must be \(width, height\)'),
    (dict(frame_size=(64, )), r'frame_size must be \(width, height\)'),
    (dict(num_categories=2), r'num_categories must be in \[3, 70\]'),
    (dict(num_categories=71), r'num_categories must be in \[3, 70\]'),
    (dict(distractors=(2, 1)), 'distractors must be'),
    (dict(distractors={'v2': (-1, 1)}), r"distractors\['v2'\] must be"),
    (dict(sounding={'v1s': (1, 1)}), 'sounding must be a dict over v1m'),
    (dict(sounding=(2, 3)), 'sounding must be a dict over v1m'),
    (dict(sounding={'v1m': (1, 2)}), r"sounding\['v1m'\] must be"),
    (dict(sounding={'v2': (0, 2)}), r"sounding\['v2'\] must be"),
    (dict(seed=-1), 'seed must be'),
])
def test_bad_arguments_write_nothing(tmp_path, kwargs, message):
    kwargs = dict(dict(videos={'v1s': 1, 'v2': 1}), **kwargs)
    with pytest.raises(ValueError, match=message):
        syn.generate_semantic_dataset(str(tmp_path / 'out'), progress=False, **kwargs)
    assert not os.listdir(tmp_path)


def test_the_dataset_reads_the_tree(avss):
    from projects.transavs.datasets.avsbench_semantic import AVSBenchSemanticDataset
    root, plans = avss
    dataset = AVSBenchSemanticDataset(root, split='test', check_files=True)
    assert [dataset.get_data_info(i)['video_name'] for i in range(len(dataset))] == [
        p.name for p in plans if p.split == 'test']
    assert tuple(dataset.metainfo['classes']) == AVSS_CLASSES


def _files(root):
    return {osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}


def test_cli_subset_avss(tmp_path):
    out = tmp_path / 'cli'
    proc = run_tool(['make_synthetic_avsbench.py', '--out', str(out), '--subset', 'avss',
                     '--splits', 'test', 'train', '--videos', '1', '2', '--avss-videos', 'v2',
                     '0', '1', '--avss-subsets', 'v2', 'v1s', '--frame-size', '64', '48',
                     '--num-categories', '4', '--distractors', '1', '1', '--seed', '3'],
                    cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (f'wrote 4 AVSBench-semantic clips (v1s 3, v2 1; train, test) to {out}'
            in proc.stdout)
    # The counts go with the splits in the official order (train, test), as for s4 / ms3.
    plans = syn.generate_semantic_dataset(str(tmp_path / 'ref'), {'v1s': [1, 2], 'v2': [0, 1]},
                                          splits=['train', 'test'], seed=3,
                                          frame_size=(64, 48), num_categories=4,
                                          distractors=(1, 1), progress=False)
    assert [(p.subset, p.split) for p in plans] == [('v1s', 'train'), ('v1s', 'test'),
                                                    ('v1s', 'test'), ('v2', 'test')]
    files = _files(out)
    assert files == _files(tmp_path / 'ref') and len(files) == 2 + (5 + 1 + 1) + 2 * 11 + 21
    for rel in files:
        assert (out / rel).read_bytes() == (tmp_path / 'ref' / rel).read_bytes(), rel


@pytest.mark.parametrize('flags, message', [
    (['--videos', '2', '--num-categories', '2'], 'num_categories must be in [3, 70]'),
    (['--videos', '2', '--size', '64'], '--size is for s4 / ms3'),
    (['--avss-videos', 'v1s', '2'], '--videos (or --avss-videos v1m N [N ...]) is required'),
    (['--videos', '2', '--avss-videos', 'v3', '2'], '--avss-videos SUBSET N [N ...]'),
])
def test_cli_avss_usage_errors(tmp_path, flags, message):
    """Bad flags are usage errors (exit 2, the generator's checks included) and write
    nothing."""
    proc = run_tool(['make_synthetic_avsbench.py', '--out', str(tmp_path / 'out'), '--subset',
                     'avss'] + flags, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / 'out').exists()


def test_cli_avss_flags_are_not_for_v1(tmp_path):
    proc = run_tool(['make_synthetic_avsbench.py', '--out', str(tmp_path / 'out'), '--subset',
                     's4', '--videos', '1', '--frame-size', '64', '48'], cwd=tmp_path,
                    timeout=300)
    assert proc.returncode == 2 and '--frame-size and --avss-videos are for --subset avss' \
        in proc.stderr
    assert not (tmp_path / 'out').exists()
