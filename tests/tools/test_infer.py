"""tools/infer.py: a video (or frames + audio) in, masks, an overlay video and a summary out."""
import json
import os
import os.path as osp
import subprocess
import sys

import av
import mmcv
import numpy as np
import pytest
import soundfile

from projects.transavs.apis import inference_avs, init_model
from projects.transavs.datasets.transforms import LoadAudioWaveform
from projects.transavs.evaluation.mask_io import encode_prob_png, read_prob_png
from tools import infer

SR = 16000
HEIGHT, WIDTH = 80, 64  # non-square, not the network's 224 x 224
SECONDS = 7  # two windows of T = 5 s, the second partial
VIDEO_FPS = 4


def _frame(i: int) -> np.ndarray:
    """Frame ``i`` of the synthetic video: a grey level that encodes ``i`` and a moving box."""
    img = np.full((HEIGHT, WIDTH, 3), (8 * i) % 256, np.uint8)
    img[10 + i:40 + i, 12:44] = (240, 60, 60)
    return img


def _wave(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * (300 + 40 * np.floor(t)) * t)).astype(np.float32)


def _write_video(path: str, with_audio: bool = True) -> None:
    """A 7 s, 4 fps MPEG-4 video with (optionally) a 16 kHz mono AAC track, with PyAV."""
    with av.open(path, mode='w') as container:
        video = container.add_stream('mpeg4', rate=VIDEO_FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, 'yuv420p'
        audio = container.add_stream('aac', rate=SR) if with_audio else None
        if audio is not None:
            audio.layout = 'mono'
        for i in range(SECONDS * VIDEO_FPS):
            container.mux(video.encode(av.VideoFrame.from_ndarray(_frame(i), format='rgb24')))
        container.mux(video.encode(None))
        if audio is not None:
            wave = _wave(SECONDS)
            for start in range(0, wave.size, 1024):
                frame = av.AudioFrame.from_ndarray(wave[None, start:start + 1024],
                                                   format='fltp', layout='mono')
                frame.sample_rate, frame.pts = SR, start
                container.mux(audio.encode(frame))
            container.mux(audio.encode(None))


@pytest.fixture(scope='module')
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp('infer_media')
    paths = dict(video=str(root / 'clip.mp4'), mute=str(root / 'mute.mp4'),
                 wav=str(root / 'clip.wav'), frames=str(root / 'frames'))
    _write_video(paths['video'])
    _write_video(paths['mute'], with_audio=False)
    soundfile.write(paths['wav'], _wave(SECONDS), SR)
    os.makedirs(paths['frames'])
    for i in range(SECONDS):  # frame_1 .. frame_7, one per second
        mmcv.imwrite(mmcv.rgb2bgr(_frame(VIDEO_FPS * i)),
                     osp.join(paths['frames'], f'frame_{i + 1}.png'))
    return paths


@pytest.fixture(scope='module')
def config(repo_root):
    return osp.join(repo_root, 'configs/transavs_tiny_s4.py')


def _decode_count(path: str) -> int:
    with av.open(path) as container:
        return sum(1 for _ in container.decode(video=0))


def _stored(path: str) -> np.ndarray:
    """The 8-bit values of a mask PNG."""
    return mmcv.imread(path, flag='unchanged')


def test_video_one_frame_per_second(config, tiny_checkpoint, media, tmp_path):
    out = str(tmp_path / 'out')
    summary = infer.main([config, tiny_checkpoint, '--video', media['video'], '--out', out])

    masks = sorted(os.listdir(osp.join(out, 'masks')))
    assert masks == [f'{i:05d}.png' for i in range(7)]
    for name in masks:
        assert read_prob_png(osp.join(out, 'masks', name)).shape == (HEIGHT, WIDTH)
    assert _decode_count(osp.join(out, 'overlay.mp4')) == 7
    with open(osp.join(out, 'summary.json')) as f:
        assert json.load(f) == summary
    assert summary['frame_times'] == [k + 0.5 for k in range(7)]
    assert summary['clip_seconds'] == 5 and summary['frame_size'] == [HEIGHT, WIDTH]
    assert [w['frames'] for w in summary['windows']] == [[0, 5], [5, 7]]
    assert [f['second'] for f in summary['frames']] == [0, 1, 2, 3, 4, 0, 1]
    assert summary['checkpoint'] == tiny_checkpoint and summary['config'] == config
    fractions = summary['foreground_fraction']
    assert len(fractions) == 7 and all(0 <= v <= 1 for v in fractions)

    # The frame shown at k + 0.5 s is video frame 4k + 2 (its grey level encodes the index).
    frames = list(infer.iter_video_frames(media['video'], summary['frame_times']))
    assert [round(f[0, 0, 0] / 8) for f in frames] == [4 * k + 2 for k in range(7)]
    # The partial second window: its frames at 0.5 and 1.5 s of the window, with the audio
    # from 5 s on (repeat-padded to 5 examples inside inference_avs).
    model = init_model(config, tiny_checkpoint)
    wave = LoadAudioWaveform()(dict(audio_path=media['video']))['audio_wave']
    expected = inference_avs(model, frames[5:], wave[5 * SR:], sample_rate=SR,
                             frame_times=[0.5, 1.5]).pred_fg_prob.data
    for k, index in enumerate((5, 6)):
        assert np.array_equal(_stored(osp.join(out, 'masks', f'{index:05d}.png')),
                              encode_prob_png(expected[k]))
        assert fractions[index] == pytest.approx(float((expected[k] > 0.5).float().mean()))


def test_windows_get_their_audio_and_times(config, tiny_checkpoint, media, tmp_path,
                                           monkeypatch):
    calls = []

    def spy(model, frames, audio, sample_rate=None, frame_times=None):
        calls.append((len(frames), audio.copy(), sample_rate, list(frame_times)))
        return inference_avs(model, frames, audio, sample_rate, frame_times)

    monkeypatch.setattr(infer, 'inference_avs', spy)
    infer.main([config, tiny_checkpoint, '--video', media['video'], '--out', str(tmp_path),
                '--fps', '1.5', '--no-video'])
    # 10 frames at (j + 0.5) / 1.5 s: 0.33, 1, ..., 4.33 | 5, ..., 6.33
    wave = LoadAudioWaveform()(dict(audio_path=media['video']))['audio_wave']
    assert [c[0] for c in calls] == [7, 3]
    assert all(c[2] == SR for c in calls)
    assert np.array_equal(calls[0][1], wave[:5 * SR])
    assert np.array_equal(calls[1][1], wave[5 * SR:10 * SR])
    assert calls[0][3] == pytest.approx([(j + 0.5) / 1.5 for j in range(7)])
    assert calls[1][3] == pytest.approx([(j + 0.5) / 1.5 - 5 for j in range(7, 10)])


def test_video_fps_2(config, tiny_checkpoint, media, tmp_path):
    out = str(tmp_path / 'out')
    summary = infer.main([config, tiny_checkpoint, '--video', media['video'], '--out', out,
                          '--fps', '2', '--no-video'])
    assert len(os.listdir(osp.join(out, 'masks'))) == 14
    assert not osp.exists(osp.join(out, 'overlay.mp4'))
    assert summary['frame_times'] == [(j + 0.5) / 2 for j in range(14)]
    assert [w['frames'] for w in summary['windows']] == [[0, 10], [10, 14]]
    assert [f['second'] for f in summary['frames'][:4]] == [0, 0, 1, 1]


def test_frames_and_audio(config, tiny_checkpoint, media, tmp_path):
    out = str(tmp_path / 'out')
    summary = infer.main([config, tiny_checkpoint, '--frames', media['frames'], '--audio',
                          media['wav'], '--out', out])
    assert len(os.listdir(osp.join(out, 'masks'))) == 7
    assert _decode_count(osp.join(out, 'overlay.mp4')) == 7
    assert [osp.basename(f['file']) for f in summary['frames']] == [
        f'frame_{i}.png' for i in range(1, 8)]
    assert summary['frame_times'] == [i + 0.5 for i in range(7)]
    # The first window equals inference_avs on the first five files and the wav (of which
    # only the first 4.8 s, T = 5 examples, are used).
    model = init_model(config, tiny_checkpoint)
    files = [f['file'] for f in summary['frames'][:5]]
    expected = inference_avs(model, files, media['wav']).pred_fg_prob.data
    for k, frame in enumerate(summary['frames'][:5]):
        assert np.array_equal(_stored(osp.join(out, frame['mask'])),
                              encode_prob_png(expected[k]))


def test_natural_order_and_frame_dir_errors(tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i in (10, 9, 1, 11, 2):
        mmcv.imwrite(np.zeros((8, 6, 3), np.uint8), str(folder / f'clip_{i}.png'))
    (folder / 'notes.txt').write_text('not a frame')
    assert [osp.basename(p) for p in infer.list_frame_files(str(folder))] == [
        'clip_1.png', 'clip_2.png', 'clip_9.png', 'clip_10.png', 'clip_11.png']
    mmcv.imwrite(np.zeros((8, 8, 3), np.uint8), str(folder / 'clip_12.png'))
    with pytest.raises(ValueError, match='mixes frame sizes'):
        infer.list_frame_files(str(folder))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='holds no images'):
        infer.list_frame_files(str(empty))
    with pytest.raises(FileNotFoundError, match='--frames folder not found'):
        infer.list_frame_files(str(tmp_path / 'missing'))


def test_runs_as_a_script(repo_root, tmp_path):
    # From another working directory, without PYTHONPATH: the tool finds the plugin itself.
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    out = subprocess.run([sys.executable, osp.join(repo_root, 'tools', 'infer.py'), '--help'],
                         cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for flag in ('--video', '--frames', '--audio', '--out', '--fps', '--device', '--no-video'):
        assert flag in out.stdout


def test_cli_errors(config, tiny_checkpoint, media, tmp_path):
    out = str(tmp_path / 'out')
    with pytest.raises(ValueError, match='has no audio track'):
        infer.main([config, tiny_checkpoint, '--video', media['mute'], '--out', out])
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='holds no images'):
        infer.main([config, tiny_checkpoint, '--frames', str(empty), '--audio', media['wav'],
                    '--out', out])
    for argv in (['--frames', media['frames']],  # no --audio
                 ['--video', media['video'], '--audio', media['wav']],
                 ['--video', media['video'], '--fps', '0']):
        with pytest.raises(SystemExit):
            infer.main([config, tiny_checkpoint, *argv, '--out', out])
    assert not osp.exists(out)  # every error came before anything was written
