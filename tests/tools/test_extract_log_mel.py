"""tools/extract_log_mel.py on a tiny AVSBench tree made with the layout module."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch

from projects.transavs.datasets import avsbench_layout as layout
from projects.transavs.datasets.transforms import LoadAudioWaveform, WaveformToLogMel

SR = 16000


@pytest.fixture(scope='module')
def tool(repo_root):
    spec = importlib.util.spec_from_file_location(
        'extract_log_mel', osp.join(repo_root, 'tools', 'extract_log_mel.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def test_writes_skips_and_overwrites(tool, tmp_path, capsys):
    root, cache = str(tmp_path / 'data'), str(tmp_path / 'cache')
    os.makedirs(root)
    clips = make_s4_tree(root)
    argv = ['--data-root', root, '--subset', 's4', '--splits', 'val', 'test',
            '--cache-root', cache]
    assert tool.main(argv) == 0
    assert 'written 3, skipped 0' in capsys.readouterr().out

    loaders = [LoadAudioWaveform(), WaveformToLogMel()]
    for name in ('clip_a', 'clip_b', 'clip_c'):
        split, category = clips[name]
        npy = layout.log_mel_npy_path(cache, 's4', split, name, category)
        array = np.load(npy, allow_pickle=False)
        assert array.shape == (5, 1, 96, 64) and array.dtype == np.float32
        results = dict(audio_path=layout.audio_wav_path(root, 's4', split, name, category),
                       num_frames=5)
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
    assert tool.main(argv) == 0
    assert 'written 0, skipped 3' in capsys.readouterr().out
    assert np.load(npy).sum() == 0
    assert tool.main(argv + ['--overwrite']) == 0
    assert 'written 3, skipped 0' in capsys.readouterr().out
    assert np.load(npy).sum() != 0


def test_corrupt_wav_fails_with_exit_status_from_anywhere(repo_root, tmp_path):
    root = str(tmp_path / 'data')
    os.makedirs(root)
    make_s4_tree(root)
    bad = layout.audio_wav_path(root, 's4', 'test', 'clip_b', 'dog')
    with open(bad, 'wb') as f:
        f.write(b'RIFF\x10\x00\x00\x00WAVEjunk' + bytes(64))
    # Run as a script from another folder, without PYTHONPATH.
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run(
        [sys.executable, osp.join(repo_root, 'tools', 'extract_log_mel.py'), '--data-root',
         root, '--subset', 's4', '--splits', 'test'],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'written 1, skipped 0' in proc.stdout and 'failed 1' in proc.stdout
    assert f'FAILED {bad}: ValueError: audio file is unreadable' in proc.stdout
    good = layout.log_mel_npy_path(root, 's4', 'test', 'clip_a', 'dog')
    assert np.load(good).shape == (5, 1, 96, 64)  # the other clip was still written
    assert not osp.exists(layout.log_mel_npy_path(root, 's4', 'test', 'clip_b', 'dog'))


def test_ms3_short_clip_note_and_missing_csv(tool, tmp_path, capsys):
    root = str(tmp_path / 'ms3')
    os.makedirs(root)
    with open(layout.meta_csv_path(root, 'ms3'), 'w') as f:
        f.write('video_id,a_obj,split\nshort_one,guitar,val\n')
    wav = layout.audio_wav_path(root, 'ms3', 'val', 'short_one', None)
    os.makedirs(osp.dirname(wav))
    sf.write(wav, np.full(8000, 0.1, np.float32), SR, subtype='FLOAT')
    assert tool.main(['--data-root', root, '--subset', 'ms3', '--splits', 'val']) == 0
    out = capsys.readouterr().out
    assert 'written 1' in out and 'note: ' in out and 'zero-padded' in out
    array = np.load(layout.log_mel_npy_path(root, 'ms3', 'val', 'short_one', None))
    assert array.shape == (5, 1, 96, 64)
    assert all(np.array_equal(array[0], array[i]) for i in range(1, 5))
    assert torch.isfinite(torch.from_numpy(array)).all()

    assert tool.main(['--data-root', str(tmp_path / 'nowhere'), '--subset', 'ms3']) == 2
    assert 'meta CSV not found' in capsys.readouterr().err
