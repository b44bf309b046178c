"""Video and frame-folder reading and overlay writing (``projects.transavs.apis.video``)."""
import os.path as osp

import av
import mmcv
import numpy as np
import pytest
from video_media import HEIGHT, SECONDS, VIDEO_FPS, WIDTH, decode_count

from projects.transavs.apis import (
    OverlayWriter,
    iter_video_frames,
    list_frame_files,
    probe_video,
    sample_times,
)


def test_natural_order_and_frame_dir_errors(tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i in (10, 9, 1, 11, 2):
        mmcv.imwrite(np.zeros((8, 6, 3), np.uint8), str(folder / f'clip_{i}.png'))
    (folder / 'notes.txt').write_text('not a frame')
    assert [osp.basename(p) for p in list_frame_files(str(folder))] == [
        'clip_1.png', 'clip_2.png', 'clip_9.png', 'clip_10.png', 'clip_11.png']
    (folder / '._clip_1.png').write_bytes(b'\x00\x05\x16\x07')  # macOS AppleDouble file
    with pytest.warns(UserWarning, match=r'skipped 1 macOS metadata file\(s\) \(e.g. '
                      r'._clip_1.png\)'):
        assert len(list_frame_files(str(folder))) == 5
    (folder / '._clip_1.png').unlink()
    mmcv.imwrite(np.zeros((8, 8, 3), np.uint8), str(folder / 'clip_12.png'))
    with pytest.raises(ValueError, match='mixes frame sizes'):
        list_frame_files(str(folder))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='holds no images'):
        list_frame_files(str(empty))
    with pytest.raises(FileNotFoundError, match='--frames folder not found'):
        list_frame_files(str(tmp_path / 'missing'))
    broken = tmp_path / 'broken'
    broken.mkdir()
    (broken / 'x_1.png').write_bytes(b'not a png')
    with pytest.raises(ValueError, match='is unreadable'):
        list_frame_files(str(broken))


def test_sample_times():
    assert sample_times(7.0, 1.0) == [k + 0.5 for k in range(7)]
    assert sample_times(7.9, 1.0) == [k + 0.5 for k in range(7)]  # whole periods only
    assert sample_times(0.3, 1.0) == [0.5]  # at least one
    assert sample_times(7.0, 1.5) == pytest.approx([(j + 0.5) / 1.5 for j in range(10)])
    assert len(sample_times(7.0, 25.0)) == 175


def test_probe_video(media, tmp_path):
    duration, has_audio = probe_video(media['video'])
    assert duration == pytest.approx(SECONDS, abs=0.3) and has_audio
    assert probe_video(media['mute'])[1] is False
    with pytest.raises(FileNotFoundError, match='--video file not found'):
        probe_video(str(tmp_path / 'missing.mp4'))
    junk = tmp_path / 'junk.mp4'
    junk.write_bytes(b'not a video at all')
    with pytest.raises(ValueError, match='is unreadable'):
        probe_video(str(junk))


def test_frames_shown_at_times(media):
    # The frame shown at k + 0.5 s is video frame 4k + 2 (its grey level encodes the index).
    frames = list(iter_video_frames(media['video'], [k + 0.5 for k in range(SECONDS)]))
    assert [round(f[0, 0, 0] / 8) for f in frames] == [4 * k + 2 for k in range(SECONDS)]
    assert frames[0].shape == (HEIGHT, WIDTH, 3) and frames[0].dtype == np.uint8
    # From the start on, and past the end: the last frame.
    last = SECONDS * VIDEO_FPS - 1
    frames = list(iter_video_frames(media['video'], [0.0, 0.3, SECONDS - 0.01, 50.0]))
    assert [round(f[0, 0, 0] / 8) for f in frames] == [0, 1, last, last]
    assert list(iter_video_frames(media['video'], [])) == []


def test_overlay_writer_pads_odd_sizes(tmp_path):
    path = str(tmp_path / 'odd.mp4')
    writer = OverlayWriter(path, fps=2.5)
    for i in range(3):
        writer.write(np.full((81, 63, 3), 40 * i, np.uint8))
    writer.close()
    assert decode_count(path) == 3
    with av.open(path) as container:
        stream = container.streams.video[0]
        assert (stream.height, stream.width) == (82, 64)  # yuv420p needs even sizes
        assert stream.average_rate == 2.5
