"""Segmenting a whole video window by window (``projects.transavs.apis.video_inference``):
masks, an overlay video and a summary out."""
import json
import os
import os.path as osp

import mmcv
import numpy as np
import pytest
import soundfile
from video_media import HEIGHT, SECONDS, SR, WIDTH, decode_count, wave

from projects.transavs.apis import (
    inference_avs,
    init_model,
    open_video_inputs,
    plan_windows,
    segment_video,
)
from projects.transavs.apis import video_inference as video_inference_module
from projects.transavs.datasets.transforms import LoadAudioWaveform
from projects.transavs.evaluation.mask_io import encode_prob_png, read_prob_png


@pytest.fixture(scope='module')
def model(config, tiny_checkpoint):
    return init_model(config, tiny_checkpoint)


def _stored(path: str) -> np.ndarray:
    """The 8-bit values of a mask PNG."""
    return mmcv.imread(path, flag='unchanged')


def test_plan_windows():
    assert plan_windows([k + 0.5 for k in range(7)], 5) == [(0, [0, 1, 2, 3, 4]), (1, [5, 6])]
    assert plan_windows([0.5, 4.99, 5.0, 11.0], 5) == [(0, [0, 1]), (1, [2]), (2, [3])]
    assert plan_windows([], 5) == []


def test_video_one_frame_per_second(config, tiny_checkpoint, model, media, tmp_path):
    out = str(tmp_path / 'out')
    inputs = open_video_inputs(video=media['video'])
    summary = segment_video(model, inputs, out,
                            info=dict(config=config, checkpoint=tiny_checkpoint))

    masks = sorted(os.listdir(osp.join(out, 'masks')))
    assert masks == [f'{i:05d}.png' for i in range(7)]
    for name in masks:
        assert read_prob_png(osp.join(out, 'masks', name)).shape == (HEIGHT, WIDTH)
    assert decode_count(osp.join(out, 'overlay.mp4')) == 7
    with open(osp.join(out, 'summary.json')) as f:
        assert json.load(f) == summary
    assert list(summary)[:2] == ['config', 'checkpoint']  # the caller's info comes first
    assert summary['frame_times'] == [k + 0.5 for k in range(7)]
    assert summary['clip_seconds'] == 5 and summary['frame_size'] == [HEIGHT, WIDTH]
    assert summary['fps'] == 1.0 and summary['overlay'] == 'overlay.mp4'
    assert [w['frames'] for w in summary['windows']] == [[0, 5], [5, 7]]
    assert [w['audio_seconds'] for w in summary['windows']] == pytest.approx([5, 2], abs=0.1)
    assert [f['second'] for f in summary['frames']] == [0, 1, 2, 3, 4, 0, 1]
    assert summary['checkpoint'] == tiny_checkpoint and summary['config'] == config
    fractions = summary['foreground_fraction']
    assert len(fractions) == 7 and all(0 <= v <= 1 for v in fractions)

    # The partial second window: its frames at 0.5 and 1.5 s of the window, with the audio
    # from 5 s on (repeat-padded to 5 examples inside inference_avs).
    inputs = open_video_inputs(video=media['video'])
    frames = list(inputs.frames)
    assert [round(f[0, 0, 0] / 8) for f in frames] == [4 * k + 2 for k in range(7)]
    expected = inference_avs(model, frames[5:], inputs.wave[5 * SR:], sample_rate=SR,
                             frame_times=[0.5, 1.5]).pred_fg_prob.data
    for k, index in enumerate((5, 6)):
        assert np.array_equal(_stored(osp.join(out, 'masks', f'{index:05d}.png')),
                              encode_prob_png(expected[k]))
        assert fractions[index] == pytest.approx(float((expected[k] > 0.5).float().mean()))


def test_windows_get_their_audio_and_times(model, media, tmp_path, monkeypatch):
    calls = []

    def spy(model, frames, audio, sample_rate=None, frame_times=None):
        calls.append((len(frames), audio.copy(), sample_rate, list(frame_times)))
        return inference_avs(model, frames, audio, sample_rate, frame_times)

    monkeypatch.setattr(video_inference_module, 'inference_avs', spy)
    segment_video(model, open_video_inputs(video=media['video'], fps=1.5), str(tmp_path),
                  overlay=False)
    # 10 frames at (j + 0.5) / 1.5 s: 0.33, 1, ..., 4.33 | 5, ..., 6.33
    wave_16k = LoadAudioWaveform()(dict(audio_path=media['video']))['audio_wave']
    assert [c[0] for c in calls] == [7, 3]
    assert all(c[2] == SR for c in calls)
    assert np.array_equal(calls[0][1], wave_16k[:5 * SR])
    assert np.array_equal(calls[1][1], wave_16k[5 * SR:10 * SR])
    assert calls[0][3] == pytest.approx([(j + 0.5) / 1.5 for j in range(7)])
    assert calls[1][3] == pytest.approx([(j + 0.5) / 1.5 - 5 for j in range(7, 10)])


def test_video_fps_2(model, media, tmp_path):
    out = str(tmp_path / 'out')
    summary = segment_video(model, open_video_inputs(video=media['video'], fps=2), out,
                            overlay=False)
    assert len(os.listdir(osp.join(out, 'masks'))) == 14
    assert not osp.exists(osp.join(out, 'overlay.mp4')) and summary['overlay'] is None
    assert summary['frame_times'] == [(j + 0.5) / 2 for j in range(14)]
    assert [w['frames'] for w in summary['windows']] == [[0, 10], [10, 14]]
    assert [f['second'] for f in summary['frames'][:4]] == [0, 0, 1, 1]


def test_frames_and_audio(model, media, tmp_path):
    out = str(tmp_path / 'out')
    inputs = open_video_inputs(frames_dir=media['frames'], audio=media['wav'])
    assert inputs.audio_path == media['wav'] and len(inputs.frame_paths) == 7
    summary = segment_video(model, inputs, out)
    assert len(os.listdir(osp.join(out, 'masks'))) == 7
    assert decode_count(osp.join(out, 'overlay.mp4')) == 7
    assert [osp.basename(f['file']) for f in summary['frames']] == [
        f'frame_{i}.png' for i in range(1, 8)]
    assert summary['frame_times'] == [i + 0.5 for i in range(7)]
    # The first window equals inference_avs on the first five files and the wav (of which
    # only the first 4.8 s, T = 5 examples, are used).
    files = [f['file'] for f in summary['frames'][:5]]
    expected = inference_avs(model, files, media['wav']).pred_fg_prob.data
    for k, frame in enumerate(summary['frames'][:5]):
        assert np.array_equal(_stored(osp.join(out, frame['mask'])),
                              encode_prob_png(expected[k]))


def test_a_window_without_enough_audio_warns(model, media, tmp_path):
    short = str(tmp_path / 'short.wav')
    soundfile.write(short, wave(5.05), SR)  # the second window gets 0.05 s
    inputs = open_video_inputs(frames_dir=media['frames'], audio=short)
    with pytest.warns(UserWarning, match=r'window 1 \(5-10 s\) has only 0.050 s of audio'):
        summary = segment_video(model, inputs, str(tmp_path / 'out'), overlay=False,
                                progress=False)
    assert len(summary['frames']) == SECONDS
    # frames that outlast the audio by a whole window: that window is silence, warned
    soundfile.write(short, wave(4.0), SR)
    inputs = open_video_inputs(frames_dir=media['frames'], audio=short)
    with pytest.warns(UserWarning, match=r'window 1 \(5-10 s\) has only 0.000 s of audio'):
        summary = segment_video(model, inputs, str(tmp_path / 'out2'), overlay=False,
                                progress=False)
    assert len(summary['frames']) == SECONDS


def test_input_errors(media, tmp_path):
    with pytest.raises(ValueError, match='has no audio track'):
        open_video_inputs(video=media['mute'])
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='holds no images'):
        open_video_inputs(frames_dir=str(empty), audio=media['wav'])
    for kwargs in (dict(frames_dir=media['frames']),  # no audio
                   dict(video=media['video'], audio=media['wav']),
                   dict(video=media['video'], frames_dir=media['frames']),
                   dict()):
        with pytest.raises(ValueError, match='give either a video, or a folder of frames'):
            open_video_inputs(**kwargs)
    with pytest.raises(ValueError, match='fps must be positive'):
        open_video_inputs(video=media['video'], fps=0)
    assert sorted(os.listdir(tmp_path)) == ['empty']  # nothing was written
