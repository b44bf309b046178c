"""``segment_video`` leaves no partial or mixed outputs, and a video that ends before its
stated duration warns (``iter_video_frames``)."""
import os

import numpy as np
import pytest

from projects.transavs.apis import init_model, open_video_inputs, segment_video
from projects.transavs.apis import video_inference as video_inference_module
from projects.transavs.apis.video import iter_video_frames
from projects.transavs.apis.video_inference import check_out_dir


@pytest.fixture(scope='module')
def model(config, tiny_checkpoint):
    return init_model(config, tiny_checkpoint)


def frames_inputs(media):
    return open_video_inputs(frames_dir=media['frames'], audio=media['wav'])


def test_failure_leaves_nothing(model, media, tmp_path, monkeypatch):
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError('boom in window 2')
        return real(*args, **kwargs)

    real = video_inference_module.inference_avs
    monkeypatch.setattr(video_inference_module, 'inference_avs', failing)
    with pytest.raises(RuntimeError, match='boom'):
        segment_video(model, frames_inputs(media), str(tmp_path / 'out'), overlay=False,
                      progress=False)
    assert os.listdir(tmp_path) == []  # neither out nor its temporary folder


def test_non_empty_out_is_refused_unless_overwrite(model, media, tmp_path):
    out = tmp_path / 'out'
    first = segment_video(model, frames_inputs(media), str(out), overlay=False, progress=False)
    (out / 'masks' / '00099.png').write_bytes(b'stale')  # an earlier, longer run's mask
    with pytest.raises(FileExistsError, match='is not empty.*--overwrite'):
        segment_video(model, frames_inputs(media), str(out), overlay=False, progress=False)
    second = segment_video(model, frames_inputs(media), str(out), overlay=False,
                           progress=False, overwrite=True)
    assert second == first
    assert sorted(os.listdir(out / 'masks')) == [f'{i:05d}.png' for i in range(7)]
    assert sorted(os.listdir(tmp_path)) == ['out']
    assert oct(os.stat(out).st_mode & 0o777) == oct(0o777 & ~_umask())
    (out / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='notes.txt.*choose another --out'):
        check_out_dir(str(out), overwrite=True)
    (tmp_path / 'file').write_text('x')
    with pytest.raises(FileExistsError, match='is a file'):
        check_out_dir(str(tmp_path / 'file'))
    check_out_dir(str(tmp_path / 'new'))
    (tmp_path / 'empty').mkdir()
    check_out_dir(str(tmp_path / 'empty'))


def _umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_video_ending_early_warns(media):
    times = [0.5, 6.5, 7.5, 8.5, 9.5]  # the video's frames end at 7 s
    with pytest.warns(UserWarning) as record:
        frames = list(iter_video_frames(media['video'], times))
    assert len(frames) == 5
    assert all(np.array_equal(frames[2], f) for f in frames[3:])  # the last frame repeated
    messages = [str(w.message) for w in record]
    assert any(media['video'] in m and '3 of the 5 requested frames' in m
               and 'repeat that frame' in m for m in messages), messages


def test_video_within_its_duration_does_not_warn(media, recwarn):
    assert len(list(iter_video_frames(media['video'], [0.5, 3.5, 6.9]))) == 3
    assert not [w for w in recwarn if 'requested frames' in str(w.message)]


def test_stated_duration_longer_than_frames(model, media, tmp_path, monkeypatch):
    # A container that states 10 s for 7 s of frames.
    monkeypatch.setattr(video_inference_module, 'probe_video', lambda path: (10.0, True))
    inputs = open_video_inputs(video=media['video'])
    with pytest.warns(UserWarning, match=r'3 of the 10 requested frames'):
        summary = segment_video(model, inputs, str(tmp_path / 'out'), overlay=False,
                                progress=False)
    assert summary['num_frames'] == 10
