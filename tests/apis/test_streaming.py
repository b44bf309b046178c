"""The streaming API: fed as a live source feeds it, it gives the masks of the causal offline
reference (segment_video(..., causal=True)) frame for frame; what it keeps is bounded."""
import json

import numpy as np
import pytest

from projects.transavs.apis import (
    StreamingSegmenter,
    init_model,
    open_video_inputs,
    plan_causal_windows,
    segment_video,
)
from projects.transavs.evaluation.mask_io import write_prob_png


def test_plan_causal_windows():
    times = [0.5, 0.9, 1.1, 4.99, 5.0, 7.25]
    assert plan_causal_windows(times, 5) == [(1, [0, 1]), (2, [2]), (5, [3]), (6, [4]),
                                             (8, [5])]


def test_streaming_equals_causal_offline(config, tiny_checkpoint, media, tmp_path):
    model = init_model(config, tiny_checkpoint)
    offline = segment_video(model, open_video_inputs(video=media['video'], fps=2),
                            str(tmp_path / 'offline'), overlay=False, progress=False,
                            causal=True)
    assert offline['causal'] is True
    # the windows end with each frame's second and reach back at most T = 5 s
    assert [(w['start'], w['end']) for w in offline['windows']] == \
        [(max(0, e - 5), e) for e in range(1, 8)]

    inputs = open_video_inputs(video=media['video'], fps=2)
    frames = list(inputs.frames)
    stream = StreamingSegmenter(model)
    out = []
    # as a live source: 0.25 s of audio at a time, each frame as soon as it is shown
    step = 4000
    next_frame = 0
    for begin in range(0, len(inputs.wave), step):
        now = (begin + step) / 16000
        while next_frame < len(frames) and inputs.times[next_frame] < now:
            assert stream.push_frame(frames[next_frame], inputs.times[next_frame])
            next_frame += 1
        stream.push_audio(inputs.wave[begin:begin + step])
        while True:
            got = stream.step()
            if not got:
                break
            # a second's masks come only once its audio has all arrived
            assert all(f.second + 1 <= (begin + step) / 16000 for f in got)
            out += got
    out += stream.flush()
    assert [f.time for f in out] == inputs.times
    assert stream.dropped_frames == stream.late_frames == 0
    for k, (frame, record) in enumerate(zip(out, offline['frames'])):
        assert record['second'] == frame.second - frame.window[0]
        write_prob_png(str(tmp_path / f'{k}.png'), frame.fg_prob)
        with open(tmp_path / f'{k}.png', 'rb') as a, \
                open(tmp_path / 'offline' / record['mask'], 'rb') as b:
            assert a.read() == b.read(), k
        assert frame.labels.shape == frame.frame.shape[:2]
    with open(tmp_path / 'offline' / 'summary.json') as f:
        assert json.load(f)['causal'] is True


def test_drops_late_frames_and_bounded_audio(config, tiny_checkpoint):
    model = init_model(config, tiny_checkpoint)
    stream = StreamingSegmenter(model, max_pending_seconds=1, max_lag_seconds=3)
    frame = np.zeros((32, 32, 3), np.uint8)
    for second in range(4):  # four complete seconds wait: only the newest is segmented
        stream.push_frame(frame, second + 0.5)
    stream.push_audio(np.zeros(4 * 16000, np.float32))
    got = stream.step()
    assert [f.second for f in got] == [3] and got[0].window == (0.0, 4.0)
    assert stream.dropped_frames == 3 and stream.step() == []
    assert not stream.push_frame(frame, 2.5)  # its second is past
    assert stream.late_frames == 1
    # a long stretch of audio without frames keeps only what a late frame could still need
    stream.push_audio(np.zeros(120 * 16000, np.float32))
    assert len(stream._audio) <= (3 + 5 + 1) * 16000
    assert not stream.push_frame(frame, 100.5)  # more than 3 s behind the audio
    assert stream.push_frame(frame, 121.5)
    with pytest.raises(ValueError, match='finite number of seconds'):
        stream.push_frame(frame, float('nan'))
