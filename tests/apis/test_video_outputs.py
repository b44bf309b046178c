"""``segment_video`` leaves no partial or mixed outputs, and a video that ends before its
stated duration warns (``iter_video_frames``)."""
import os
import subprocess
import sys

import numpy as np
import pytest

from projects.transavs.apis import init_model, open_video_inputs, segment_video
from projects.transavs.apis import video_inference as video_inference_module
from projects.transavs.apis.output_folder import MANIFEST, MARKER, make_work_folder
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
    # an earlier, longer run: 14 masks at 2 frames per second of the video
    longer = segment_video(model, open_video_inputs(video=media['video'], fps=2), str(out),
                           overlay=False, progress=False)
    assert len(os.listdir(out / 'masks')) == len(longer['frames']) == 14
    assert MANIFEST in os.listdir(out)
    with pytest.raises(FileExistsError, match='is not empty.*--overwrite'):
        segment_video(model, frames_inputs(media), str(out), overlay=False, progress=False)
    first = segment_video(model, frames_inputs(media), str(out), overlay=False,
                          progress=False, overwrite=True)
    assert sorted(os.listdir(out / 'masks')) == [f'{i:05d}.png' for i in range(7)]
    assert sorted(os.listdir(tmp_path)) == ['out']
    assert oct(os.stat(out).st_mode & 0o777) == oct(0o777 & ~_umask())
    second = segment_video(model, frames_inputs(media), str(out), overlay=False,
                           progress=False, overwrite=True)
    assert second == first
    (tmp_path / 'file').write_text('x')
    with pytest.raises(FileExistsError, match='is a file'):
        check_out_dir(str(tmp_path / 'file'))
    check_out_dir(str(tmp_path / 'new'))
    (tmp_path / 'empty').mkdir()
    check_out_dir(str(tmp_path / 'empty'))


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob('*'))
            if p.is_file()}


@pytest.mark.parametrize('change', ['notes', 'own_mask', 'own_summary', 'own_folder',
                                    'no_manifest'])
def test_overwrite_never_touches_a_users_files(model, media, tmp_path, change):
    """--overwrite refuses, names the entry and changes nothing when anything in --out is not
    an unchanged output of an earlier run."""
    out = tmp_path / 'out'
    segment_video(model, frames_inputs(media), str(out), overlay=False, progress=False)
    expected = {'notes': r'notes.txt', 'own_mask': r'masks/gt_00001.png',
                'own_summary': r'summary.json \(changed\)', 'own_folder': r'mine/',
                'no_manifest': r'holds no record of an earlier infer.py run'}[change]
    if change == 'notes':
        (out / 'notes.txt').write_text('mine')
    elif change == 'own_mask':
        (out / 'masks' / 'gt_00001.png').write_bytes(b'ground truth')
    elif change == 'own_summary':
        (out / 'summary.json').write_text('{"my": "summary"}')
    elif change == 'own_folder':
        (out / 'mine').mkdir()
    else:
        (out / MANIFEST).unlink()
    before = _snapshot(out)
    with pytest.raises(FileExistsError, match=expected + '.*nothing was touched'):
        segment_video(model, frames_inputs(media), str(out), overlay=False, progress=False,
                      overwrite=True)
    assert _snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == ['out']


def test_a_killed_runs_temporary_folder_is_removed_by_the_next_run(model, media, tmp_path):
    out = tmp_path / 'out'
    stale = make_work_folder(str(out))  # what a killed run leaves, with its marker
    (tmp_path / stale / 'masks').mkdir()
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / stale / MARKER).write_text(dead)  # its process has ended
    users = tmp_path / '.out.incomplete-mine'  # same pattern, no marker: not ours
    users.mkdir()
    with pytest.warns(UserWarning, match='removed .*the temporary folder of an earlier run'):
        segment_video(model, frames_inputs(media), str(out), overlay=False, progress=False)
    assert sorted(os.listdir(tmp_path)) == ['.out.incomplete-mine', 'out']
    assert MARKER not in os.listdir(out)


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
