"""The log-mel ``.npy`` cache (``projects.transavs.datasets.log_mel_cache``) on a tiny AVSBench
tree made with the layout module."""
import os
import os.path as osp

import numpy as np
import pytest
import soundfile as sf
import torch

from projects.transavs.datasets import avsbench_layout as layout
from projects.transavs.datasets.log_mel_cache import list_log_mel_clips, write_log_mel_cache
from projects.transavs.datasets.transforms import LoadAudioWaveform, WaveformToLogMel

SR = 16000


def extract(root, subset, splits, cache_root=None, overwrite=False):
    """The clips of ``splits`` written by :func:`write_log_mel_cache`; returns its report."""
    clips = [c for split in splits
             for c in list_log_mel_clips(root, subset, split, cache_root)]
    return write_log_mel_cache(clips, overwrite=overwrite, progress=False)


def make_s4_tree(root):
    """Three S4 clips: a 5.5 s mono wav, a 3.3 s one (3 examples) and a 44.1 kHz stereo one."""
    rng = np.random.default_rng(0)
    clips = [('clip_a', 'dog', 'test', (0.1 * rng.standard_normal(int(SR * 5.5)), SR)),
             ('clip_b', 'dog', 'test', (0.1 * rng.standard_normal(int(SR * 3.3)), SR)),
             ('clip_c', 'piano', 'val', (0.1 * rng.standard_normal((44100 * 5, 2)), 44100)),
             ('clip_d', 'piano', 'train', None)]  # not requested below: no wav needed
    lines = ['name,start_time,category,split']
    for name, category, split, audio in clips:
        lines.append(f'{name},0,{category},{split}')
        if audio is not None:
            path = layout.audio_wav_path(root, 's4', split, name, category)
            os.makedirs(osp.dirname(path), exist_ok=True)
            sf.write(path, audio[0].astype(np.float32), audio[1], subtype='FLOAT')
    with open(layout.meta_csv_path(root, 's4'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return {name: (split, category) for name, category, split, _ in clips}


def test_writes_skips_and_overwrites(tmp_path):
    root, cache = str(tmp_path / 'data'), str(tmp_path / 'cache')
    os.makedirs(root)
    clips = make_s4_tree(root)
    report = extract(root, 's4', ['val', 'test'], cache)
    assert (report.written, report.skipped, report.failed) == (3, 0, [])

    loaders = [LoadAudioWaveform(), WaveformToLogMel()]
    for name in ('clip_a', 'clip_b', 'clip_c'):
        split, category = clips[name]
        npy = layout.log_mel_npy_path(cache, 's4', split, name, category)
        array = np.load(npy, allow_pickle=False)
        assert array.shape == (5, 1, 96, 64) and array.dtype == np.float32
        results = dict(audio_path=layout.audio_wav_path(root, 's4', split, name, category),
                       clip_seconds=5)
        for transform in loaders:
            results = transform(results)
        np.testing.assert_array_equal(array, results['audio_log_mel'].numpy())
        if name == 'clip_b':  # 3 examples, the last repeated
            assert np.array_equal(array[2], array[3]) and np.array_equal(array[2], array[4])
            assert not np.array_equal(array[1], array[2])
    assert not osp.exists(layout.log_mel_npy_path(cache, 's4', 'train', 'clip_d', 'piano'))
    assert not osp.exists(layout.subset_dir(root, 's4') + '/audio_log_mel_npy')

    # A second run keeps the files; --overwrite recomputes them.
    npy = layout.log_mel_npy_path(cache, 's4', 'test', 'clip_a', 'dog')
    np.save(npy, np.zeros((5, 1, 96, 64), np.float32))
    report = extract(root, 's4', ['val', 'test'], cache)
    assert (report.written, report.skipped, report.failed) == (0, 3, [])
    assert np.load(npy).sum() == 0
    report = extract(root, 's4', ['val', 'test'], cache, overwrite=True)
    assert (report.written, report.skipped, report.failed) == (3, 0, [])
    assert np.load(npy).sum() != 0


def test_a_corrupt_wav_fails_alone(tmp_path):
    root = str(tmp_path / 'data')
    os.makedirs(root)
    make_s4_tree(root)
    bad = layout.audio_wav_path(root, 's4', 'test', 'clip_b', 'dog')
    with open(bad, 'wb') as f:
        f.write(b'RIFF\x10\x00\x00\x00WAVEjunk' + bytes(64))
    report = extract(root, 's4', ['test'])
    assert (report.written, report.skipped) == (1, 0)
    assert len(report.failed) == 1 and report.failed[0][0] == bad
    assert report.failed[0][1].startswith('ValueError: audio file is unreadable')
    good = layout.log_mel_npy_path(root, 's4', 'test', 'clip_a', 'dog')
    assert np.load(good).shape == (5, 1, 96, 64)  # the other clip was still written
    assert not osp.exists(layout.log_mel_npy_path(root, 's4', 'test', 'clip_b', 'dog'))
    assert not [n for n in os.listdir(osp.dirname(good)) if '.tmp' in n]  # no partial file


def test_ms3_short_clip_note_and_missing_csv(tmp_path):
    root = str(tmp_path / 'ms3')
    os.makedirs(root)
    with open(layout.meta_csv_path(root, 'ms3'), 'w') as f:
        f.write('video_id,a_obj,split\nshort_one,guitar,val\n')
    wav = layout.audio_wav_path(root, 'ms3', 'val', 'short_one', None)
    os.makedirs(osp.dirname(wav))
    sf.write(wav, np.full(8000, 0.1, np.float32), SR, subtype='FLOAT')
    report = extract(root, 'ms3', ['val'])
    assert report.written == 1 and not report.failed
    # One note for the sub-example zero-padding, one for the 4 s padded to the 5 frames.
    assert len(report.notes) == 2 and 'zero-padded' in report.notes[0]
    assert wav in report.notes[1] and '4 s padded' in report.notes[1]
    array = np.load(layout.log_mel_npy_path(root, 'ms3', 'val', 'short_one', None))
    assert array.shape == (5, 1, 96, 64)
    assert all(np.array_equal(array[0], array[i]) for i in range(1, 5))
    assert torch.isfinite(torch.from_numpy(array)).all()

    with pytest.raises(OSError, match='meta CSV not found'):
        list_log_mel_clips(str(tmp_path / 'nowhere'), 'ms3', 'train')
