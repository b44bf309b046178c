"""Data faults that must not pass silently: meta CSV faults (S4/MS3), truncated images and
wavs, audio shorter than its clip, missing files found at start (``check_files`` default)."""
import csv
import os
import pickle
import shutil
import warnings

import cv2
import numpy as np
import pytest
import soundfile as sf

from projects.transavs.datasets import AVSBenchMS3Dataset, AVSBenchS4Dataset, load_tensor_pickle
from projects.transavs.datasets import avsbench as avsbench_module
from projects.transavs.datasets import avsbench_layout as layout
from projects.transavs.datasets.transforms import (
    LoadAudioLogMel,
    LoadAudioWaveform,
    LoadClipFrames,
    WaveformToLogMel,
    read_image,
)

SR = 16000


def _copy(root: str, tmp_path, subset: str) -> str:
    """A writable copy of a session tree."""
    dst = str(tmp_path / subset)
    shutil.copytree(root, dst)
    return dst


def _rewrite_csv(root: str, subset: str, edit) -> str:
    """Applies ``edit(rows) -> rows`` (header included) to the meta CSV; returns its path."""
    path = layout.meta_csv_path(root, subset)
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    with open(path, 'w', newline='') as f:
        csv.writer(f).writerows(edit(rows))
    return path


# ---------------------------------------------------------------------- meta CSV (item 3)
def test_s4_duplicate_row_is_refused(s4_root, tmp_path):
    root = _copy(s4_root, tmp_path, 's4')
    path = _rewrite_csv(root, 's4', lambda rows: rows + [rows[2]])  # line 3 again
    with pytest.raises(ValueError) as err:
        AVSBenchS4Dataset(data_root=root, split='val')  # any split: the whole CSV is checked
    message = str(err.value)
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    name, category = rows[2][0], rows[2][2]
    assert path in message and f'lines 3 and {len(rows)}' in message
    assert f'{category}/{name}' in message and 'must appear once' in message


def test_s4_same_name_in_two_categories_is_two_videos(s4_root, tmp_path):
    root = _copy(s4_root, tmp_path, 's4')

    def edit(rows):
        row = list(rows[1])
        row[2] = 'another_category'
        return rows + [row]

    _rewrite_csv(root, 's4', edit)
    AVSBenchS4Dataset(data_root=root, split='val', check_files=False)


def test_ms3_duplicate_name_is_refused_even_across_splits(ms3_root, tmp_path):
    root = _copy(ms3_root, tmp_path, 'ms3')

    def edit(rows):
        row = list(rows[1])
        row[2] = 'test' if row[2] != 'test' else 'train'
        return rows + [row]

    path = _rewrite_csv(root, 'ms3', edit)
    with pytest.raises(ValueError, match='lines 2 and 11 are the same video') as err:
        AVSBenchMS3Dataset(data_root=root, split='val')
    assert path in str(err.value)


@pytest.mark.parametrize('bad', ['Test', 'valid', ''])
def test_unknown_split_value_is_refused(s4_root, tmp_path, bad):
    root = _copy(s4_root, tmp_path, 's4')

    def edit(rows):
        rows[5][3] = bad
        return rows

    path = _rewrite_csv(root, 's4', edit)
    with pytest.raises(ValueError) as err:
        AVSBenchS4Dataset(data_root=root, split='train')
    message = str(err.value)
    assert path in message and 'line 6' in message and f'split {bad!r}' in message
    assert "expected one of ('train', 'val', 'test')" in message


def test_clip_counts_are_logged(ms3_root, monkeypatch, videos_per_split):
    logged = []
    monkeypatch.setattr(avsbench_module, 'print_log',
                        lambda msg, logger=None, **kw: logged.append((msg, logger)))
    AVSBenchMS3Dataset(data_root=ms3_root, split='test')
    assert len(logged) == 1
    message, logger = logged[0]
    n = videos_per_split
    assert logger == 'current'
    assert f'{n} clips taken' in message and layout.meta_csv_path(ms3_root, 'ms3') in message
    assert f'train {n}, val {n}, test {n}' in message


# ---------------------------------------------------------------------- images (item 4)
def _truncate(path: str, fraction: float = 0.5) -> None:
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * fraction)])


def test_truncated_png_frame_is_refused(s4_root, tmp_path):
    root = _copy(s4_root, tmp_path, 's4')
    info = AVSBenchS4Dataset(data_root=root, split='val').get_data_info(0)
    frame = info['frame_paths'][2]
    assert cv2.imread(frame) is not None
    _truncate(frame, 0.7)
    with pytest.raises(ValueError) as err:
        LoadClipFrames(scale=(32, 32))(dict(info))
    message = str(err.value)
    assert frame in message and 'truncated' in message and 'IEND' in message
    assert 'frame 3/5' in message


def test_truncated_jpeg_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (64, 80, 3), dtype=np.uint8)
    path = str(tmp_path / 'frame.jpg')
    cv2.imwrite(path, img)
    assert read_image(path).shape == (64, 80, 3)  # complete: reads
    _truncate(path, 0.6)
    assert cv2.imread(path) is not None  # cv2 alone would accept it (grey fill)
    for backend in ('cv2', 'pillow'):
        with pytest.raises(ValueError, match='FFD9') as err:
            read_image(path, what='frame 1/5 of clip x', imdecode_backend=backend)
        assert path in str(err.value) and 'truncated' in str(err.value)


def test_jpeg_with_trailing_bytes_still_reads(tmp_path):
    img = np.full((16, 16, 3), 128, np.uint8)
    path = str(tmp_path / 'padded.jpg')
    cv2.imwrite(path, img)
    with open(path, 'ab') as f:
        f.write(b'\x00' * 100)
    assert read_image(path).shape == (16, 16, 3)


# ---------------------------------------------------------------------- audio (item 4)
def test_truncated_wav_warns_with_the_missing_part(s4_root, tmp_path):
    root = _copy(s4_root, tmp_path, 's4')
    info = AVSBenchS4Dataset(data_root=root, split='test').get_data_info(1)
    wav = info['audio_path']
    full = sf.info(wav).frames
    _truncate(wav, 0.5)
    with pytest.warns(UserWarning) as record:
        results = LoadAudioWaveform()(dict(info))
        WaveformToLogMel()(results)
    messages = [str(w.message) for w in record]
    truncated = [m for m in messages if 'is truncated:' in m]
    assert len(truncated) == 1 and wav in truncated[0]
    assert f'declares {full} frames' in truncated[0] and 'missing' in truncated[0]
    padded = [m for m in messages if 's padded' in m]
    assert len(padded) == 1 and wav in padded[0] and "pad_mode='repeat'" in padded[0]


def test_complete_wav_gives_no_warning(s4_root):
    info = AVSBenchS4Dataset(data_root=s4_root, split='test').get_data_info(0)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        results = LoadAudioWaveform()(dict(info))
        WaveformToLogMel()(results)
        LoadAudioLogMel()(dict(info))
    assert results['audio_log_mel'].shape == (5, 1, 96, 64)


def _tone(path: str, seconds: float) -> str:
    t = np.arange(int(seconds * SR)) / SR
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SR)
    return path


@pytest.mark.parametrize('pad_mode,policy', [('repeat', 'repeating the last example'),
                                             ('zeros', 'with zeros')])
def test_short_audio_warns_seconds_and_policy(tmp_path, pad_mode, policy):
    path = _tone(str(tmp_path / 'three_seconds.wav'), 3.0)
    results = LoadAudioWaveform()(dict(audio_path=path, clip_seconds=5))
    with pytest.warns(UserWarning) as record:
        out = WaveformToLogMel(pad_mode=pad_mode)(results)
    assert out['audio_log_mel'].shape == (5, 1, 96, 64)
    (message, ) = [str(w.message) for w in record]
    assert path in message and '2 s padded' in message and policy in message
    assert f"pad_mode='{pad_mode}'" in message


def test_padded_frames_are_not_counted(tmp_path):
    """AVSBench-semantic v1 clips: 5 real frames padded to 10, 5 s of audio: no warning;
    3 s of audio: the 2 missing real seconds are warned about."""
    frame_padded = [False] * 5 + [True] * 5
    full = _tone(str(tmp_path / 'five.wav'), 5.0)
    results = LoadAudioWaveform()(dict(audio_path=full, clip_seconds=10,
                                       frame_padded=frame_padded))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        out = WaveformToLogMel(pad_mode='zeros')(results)
    assert out['audio_log_mel'].shape == (10, 1, 96, 64)
    short = _tone(str(tmp_path / 'three.wav'), 3.0)
    results = LoadAudioWaveform()(dict(audio_path=short, clip_seconds=10,
                                       frame_padded=frame_padded))
    with pytest.warns(UserWarning, match='5 real frame') as record:
        WaveformToLogMel(pad_mode='zeros')(results)
    assert short in str(record[0].message) and '2 s padded' in str(record[0].message)


def test_short_official_pkl_warns(s4_root, tmp_path):
    root = _copy(s4_root, tmp_path, 's4')
    info = AVSBenchS4Dataset(data_root=root, split='val').get_data_info(2)
    pkl = info['log_mel_path']
    log_mel = load_tensor_pickle(pkl)  # [5, 1, 96, 64]
    with open(pkl, 'wb') as f:
        pickle.dump(log_mel[:3].clone(), f)
    with pytest.warns(UserWarning) as record:
        out = LoadAudioLogMel()(dict(info))
    assert out['audio_log_mel'].shape == (5, 1, 96, 64)
    (message, ) = [str(w.message) for w in record]
    assert pkl in message and '2 s padded' in message and "pad_mode='repeat'" in message


# ---------------------------------------------------------------------- check_files (item 8)
def test_missing_file_found_at_start_by_default(ms3_root, tmp_path):
    root = _copy(ms3_root, tmp_path, 'ms3')
    AVSBenchMS3Dataset(data_root=root, split='train')  # complete: no error
    info = AVSBenchMS3Dataset(data_root=root, split='train').get_data_info(1)
    os.remove(info['frame_paths'][4])
    with pytest.raises(FileNotFoundError) as err:
        AVSBenchMS3Dataset(data_root=root, split='train')
    message = str(err.value)
    assert info['frame_paths'][4] in message and '1 file(s) missing' in message
    assert 'check_files=False skips this check' in message
    AVSBenchMS3Dataset(data_root=root, split='train', check_files=False)
