"""tools/infer.py run as a user runs it: its flags reach ``open_video_inputs`` /
``segment_video`` (tested in tests/apis/test_video_inference.py), errors are one line."""
import json
import os

import numpy as np
import pytest
from tool_runs import run_tool

from projects.transavs.apis import init_model, open_video_inputs, segment_video


def test_frames_and_audio_run(config, tiny_checkpoint, media, tmp_path):
    out = tmp_path / 'out'
    proc = run_tool(['infer.py', config, tiny_checkpoint, '--frames', media['frames'],
                     '--audio', media['wav'], '--out', str(out), '--fps', '2', '--device',
                     'cpu', '--no-video'], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'7 frames in 1 window(s) of 5 s -> {out}' in proc.stdout
    assert not (out / 'overlay.mp4').exists()
    with open(out / 'summary.json') as f:
        summary = json.load(f)
    assert {k: summary[k] for k in ('config', 'checkpoint', 'video', 'frames_dir', 'audio')} == \
        dict(config=config, checkpoint=tiny_checkpoint, video=None, frames_dir=media['frames'],
             audio=media['wav'])
    # The same as the package on the same inputs (frame i at (i + 0.5) / 2 s).
    expected = segment_video(
        init_model(config, tiny_checkpoint),
        open_video_inputs(frames_dir=media['frames'], audio=media['wav'], fps=2),
        str(tmp_path / 'expected'), overlay=False, progress=False)
    assert {k: summary[k] for k in expected} == expected
    assert summary['frame_times'] == [(i + 0.5) / 2 for i in range(7)]
    for frame in summary['frames']:
        assert np.array_equal(np.fromfile(out / frame['mask'], np.uint8),
                              np.fromfile(tmp_path / 'expected' / frame['mask'], np.uint8))


@pytest.mark.parametrize('argv, code, message', [
    (['--video', '{mute}'], 1, 'infer.py: error: video {mute} has no audio track'),
    (['--frames', '{frames}'], 2, '--frames needs --audio FILE'),
], ids=['video_without_sound', 'frames_without_audio'])
def test_errors_come_before_any_output(config, tiny_checkpoint, media, tmp_path, argv, code,
                                       message):
    out = tmp_path / 'out'
    proc = run_tool(['infer.py', config, tiny_checkpoint, *[a.format(**media) for a in argv],
                     '--out', str(out)], cwd=tmp_path, timeout=300)
    assert proc.returncode == code, proc.stderr[-3000:]
    assert message.format(**media) in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not out.exists() and os.listdir(tmp_path) == []
