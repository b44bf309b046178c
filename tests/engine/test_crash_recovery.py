"""Crash recovery: a kill at any moment leaves a complete checkpoint that ``--resume`` finds."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.runner.checkpoint import save_checkpoint
from toy_runner import train_toy

from projects.transavs.engine import (
                                      ATOMIC_LOCAL_BACKEND,
                                      AVSCheckpointHook,
                                      atomic_write_bytes,
                                      register_atomic_local_backend,
                                      remove_orphan_temporaries,
                                      safe_torch_load,
)

HERE = osp.dirname(osp.abspath(__file__))


def _log_text(runner):
    """The text of a runner's log file."""
    files = glob.glob(osp.join(runner.log_dir, '*.log'))
    assert files, runner.log_dir
    with open(files[0]) as f:
        return f.read()


def _pointer(work_dir):
    with open(osp.join(str(work_dir), 'last_checkpoint')) as f:
        return f.read().strip()


# The training of toy_runner (6 iterations, a checkpoint every 2, max_keep_ckpts=1) in its own
# process; it hangs, announced on stdout, in the fsync of the temporary file whose name
# contains HANG (``.iter_4.pth.``, or ``.last_checkpoint.`` the second time: after iter_4.pth
# is complete), and is SIGKILLed there.
KILLED_TRAINING = textwrap.dedent('''
    import os, sys, time
    real_fsync = os.fsync
    seen = []
    def fsync(fd):
        real_fsync(fd)
        if {hang!r} in os.readlink(f'/proc/self/fd/{{fd}}'):
            seen.append(fd)
        if len(seen) == {count}:
            print('hanging', flush=True)
            time.sleep(120)
    os.fsync = fsync
    from toy_runner import train_toy
    train_toy({work_dir!r}, max_iters=6, max_keep_ckpts=1)
    print('finished', flush=True)
''')


@pytest.mark.skipif(not osp.isdir('/proc/self/fd'), reason='needs /proc/self/fd')
@pytest.mark.parametrize('hang', ['.iter_4.pth.', '.last_checkpoint.'])
def test_kill_during_save_with_max_keep_ckpts_1(tmp_path, hang):
    work_dir = str(tmp_path / 'work')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    proc = subprocess.Popen(
        [sys.executable, '-c', KILLED_TRAINING.format(hang=hang, work_dir=work_dir,
                                                   count=2 if 'last' in hang else 1)],
        cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in proc.stdout:  # mmengine logs to stdout too
            lines.append(line)
            if line.strip() == 'hanging':
                break
        assert lines and lines[-1].strip() == 'hanging', ''.join(lines)[-3000:]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # iter_2 is complete, whatever the moment of the kill; last_checkpoint names it.
    ckpt_2 = osp.join(work_dir, 'iter_2.pth')
    assert safe_torch_load(ckpt_2)['meta']['iter'] == 2
    assert _pointer(work_dir) == ckpt_2
    orphans = [f for f in os.listdir(work_dir) if f.endswith('.tmp')]
    assert orphans, 'the kill should leave the temporary file of the interrupted write'
    if hang == '.last_checkpoint.':  # the new checkpoint was complete before the pointer
        assert safe_torch_load(osp.join(work_dir, 'iter_4.pth'))['meta']['iter'] == 4
    else:
        assert not osp.exists(osp.join(work_dir, 'iter_4.pth'))

    runner = train_toy(work_dir, max_iters=6, resume=True, max_keep_ckpts=1)
    assert runner.iter == 6
    assert f'Auto resumed from the latest checkpoint {ckpt_2}' in _log_text(runner)
    # Orphans removed; old checkpoints pruned as mmengine does (max_keep_ckpts=1).
    assert sorted(f for f in os.listdir(work_dir) if f.endswith(('.pth', '.tmp'))) == \
        ['iter_6.pth']
    assert _pointer(work_dir) == osp.join(work_dir, 'iter_6.pth')


def test_old_checkpoint_removed_only_after_the_new_one_and_the_pointer(tmp_path, monkeypatch):
    """The order of the file operations of one save with max_keep_ckpts=1."""
    events = []
    from projects.transavs.engine.hooks import avs_checkpoint_hook
    real_write = avs_checkpoint_hook.atomic_write_bytes
    real_remove = os.remove

    def write(data, path):
        events.append(('pointer', data.decode()))
        real_write(data, path)

    def remove(path, *args, **kwargs):
        if str(path).endswith('.pth'):
            events.append(('remove', osp.basename(str(path)),
                           sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth'))))
        real_remove(path, *args, **kwargs)

    monkeypatch.setattr(avs_checkpoint_hook, 'atomic_write_bytes', write)
    monkeypatch.setattr(os, 'remove', remove)
    runner = train_toy(str(tmp_path), max_iters=4, max_keep_ckpts=1)
    assert any(isinstance(h, AVSCheckpointHook) for h in runner.hooks)
    assert events == [('pointer', str(tmp_path / 'iter_2.pth')),
                      ('pointer', str(tmp_path / 'iter_4.pth')),
                      ('remove', 'iter_2.pth', ['iter_2.pth', 'iter_4.pth'])]
    assert runner.message_hub.get_info('keep_ckpt_ids') == [4]


def _two_checkpoints(work_dir):
    train_toy(str(work_dir), max_iters=4)
    assert _pointer(work_dir) == str(work_dir / 'iter_4.pth')


def test_empty_last_checkpoint_falls_back_to_the_newest_on_disk(tmp_path):
    _two_checkpoints(tmp_path)
    (tmp_path / 'last_checkpoint').write_text('')
    runner = train_toy(str(tmp_path), max_iters=6, resume=True)
    assert runner.iter == 6
    log = _log_text(runner)
    assert (f'Resuming from {tmp_path / "iter_4.pth"}, the newest complete checkpoint on disk; '
            f'skipped: {tmp_path / "last_checkpoint"} is empty.') in log


def test_missing_last_checkpoint_falls_back_to_the_newest_on_disk(tmp_path):
    _two_checkpoints(tmp_path)
    os.remove(tmp_path / 'last_checkpoint')
    runner = train_toy(str(tmp_path), max_iters=6, resume=True)
    assert runner.iter == 6
    assert f'Resuming from {tmp_path / "iter_4.pth"}' in _log_text(runner)


def test_stale_last_checkpoint_naming_a_deleted_file(tmp_path):
    _two_checkpoints(tmp_path)
    os.remove(tmp_path / 'iter_4.pth')
    runner = train_toy(str(tmp_path), max_iters=6, resume=True)
    assert runner.iter == 6
    log = _log_text(runner)
    assert (f'Resuming from {tmp_path / "iter_2.pth"}, the newest complete checkpoint on disk; '
            f'skipped: {tmp_path / "last_checkpoint"} names {tmp_path / "iter_4.pth"}, which '
            'does not exist.') in log


@pytest.mark.parametrize('size', [0, 'half'])
def test_stale_last_checkpoint_naming_a_truncated_file(tmp_path, size):
    _two_checkpoints(tmp_path)
    data = (tmp_path / 'iter_4.pth').read_bytes()
    (tmp_path / 'iter_4.pth').write_bytes(b'' if size == 0 else data[:len(data) // 2])
    runner = train_toy(str(tmp_path), max_iters=6, resume=True)
    assert runner.iter == 6
    log = _log_text(runner)
    assert f'Resuming from {tmp_path / "iter_2.pth"}, the newest complete checkpoint' in log
    assert f'names {tmp_path / "iter_4.pth"}, which cannot be loaded' in log
    assert 'truncated' in log or 'empty' in log


def test_newer_truncated_checkpoint_on_disk_is_skipped(tmp_path):
    """Without a usable pointer, a newer but truncated iter_*.pth is skipped with a warning."""
    _two_checkpoints(tmp_path)
    (tmp_path / 'iter_8.pth').write_bytes(b'PK\x03\x04 cut')
    os.remove(tmp_path / 'last_checkpoint')
    runner = train_toy(str(tmp_path), max_iters=6, resume=True)
    assert runner.iter == 6
    log = _log_text(runner)
    assert f'Resuming from {tmp_path / "iter_4.pth"}' in log
    assert f'{tmp_path / "iter_8.pth"}, which cannot be loaded' in log


def test_nothing_to_resume_starts_from_scratch(tmp_path):
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    runner = train_toy(str(tmp_path), max_iters=2, resume=True)
    assert runner.iter == 2
    assert 'No complete checkpoint to resume from' in _log_text(runner)


def test_orphan_temporaries_are_removed(tmp_path):
    orphan = tmp_path / '.iter_2.pth.abcd_123.tmp'
    orphan.write_bytes(b'half a checkpoint')
    pointer_orphan = tmp_path / '.last_checkpoint.zzzzzzzz.tmp'
    pointer_orphan.write_bytes(b'')
    keep = [tmp_path / 'notes.tmp', tmp_path / '.hidden', tmp_path / '.x.tmp']
    for path in keep:
        path.write_text('mine')
    runner = train_toy(str(tmp_path), max_iters=2)
    assert not orphan.exists() and not pointer_orphan.exists()
    assert all(path.exists() for path in keep)
    assert f'Removed {orphan}, left by an interrupted checkpoint save.' in _log_text(runner)
    assert remove_orphan_temporaries(str(tmp_path / 'missing')) == []


@pytest.mark.parametrize('umask', [0o022, 0o077, 0o002])
def test_checkpoint_mode_follows_the_umask(tmp_path, umask):
    register_atomic_local_backend()
    old = os.umask(umask)
    try:
        path = tmp_path / 'ckpt.pth'
        save_checkpoint({'w': torch.zeros(2)}, str(path),
                        backend_args=dict(backend=ATOMIC_LOCAL_BACKEND))
        atomic_write_bytes(b'x', tmp_path / 'last_checkpoint')
        runner_dir = tmp_path / 'work'
        train_toy(str(runner_dir), max_iters=2)
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    assert os.stat(path).st_mode & 0o777 == expected
    assert os.stat(tmp_path / 'last_checkpoint').st_mode & 0o777 == expected
    assert os.stat(runner_dir / 'iter_2.pth').st_mode & 0o777 == expected
    assert os.stat(runner_dir / 'last_checkpoint').st_mode & 0o777 == expected


def test_misspelt_checkpoint_option_is_refused_before_training(tmp_path):
    """mmengine's CheckpointHook keeps unknown keyword arguments and fails at its first save;
    ours refuses them when the runner builds it (also for a plain 'CheckpointHook')."""
    from mmseg.registry import HOOKS
    with pytest.raises(TypeError, match=r"unknown argument\(s\) 'intervall' \(did you mean "
                       r"'interval'\?\)"):
        HOOKS.build(dict(type='AVSCheckpointHook', intervall=5))
    runner = train_toy(str(tmp_path), max_iters=2)
    with pytest.raises(TypeError, match=r"'save_bset' \(did you mean 'save_best'\?\)"):
        runner.register_hook(dict(type='CheckpointHook', interval=1, save_bset='mJ'))


def test_copied_work_dir_resumes_its_own_checkpoint(tmp_path):
    """A copied work_dir's last_checkpoint still names the original's file: the copy resumes
    from its own file of that name (warned), or refuses when it has none."""
    import shutil
    original = str(tmp_path / 'original')
    train_toy(original, max_iters=4)
    copy = str(tmp_path / 'copy')
    shutil.copytree(original, copy)
    with open(osp.join(copy, 'last_checkpoint')) as f:
        assert f.read().strip() == osp.join(original, 'iter_4.pth')
    resumed = train_toy(copy, max_iters=6, resume=True)
    assert resumed.iter == 6
    assert (f'names {osp.join(original, "iter_4.pth")}, outside this work_dir (copied or moved '
            f'from another run?); resuming from {osp.join(copy, "iter_4.pth")}') in \
        _log_text(resumed)
    assert not glob.glob(osp.join(original, 'iter_6.pth'))

    bare = str(tmp_path / 'bare')
    os.makedirs(bare)
    shutil.copy(osp.join(original, 'last_checkpoint'), bare)
    with pytest.raises(FileNotFoundError, match=r'outside this work_dir .* there is no '
                       r'iter_4.pth here: resuming from it would continue another run'):
        train_toy(bare, max_iters=6, resume=True)


def test_sigterm_saves_a_checkpoint_and_stops(tmp_path):
    """SIGTERM during iteration 3: the iteration finishes, iter_3.pth is saved (and named in
    last_checkpoint), training stops; --resume continues from it."""
    from mmengine.hooks import Hook

    from projects.transavs.engine import TrainingInterrupted

    class _Preempt(Hook):
        priority = 'NORMAL'

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if runner.iter + 1 == 3:
                os.kill(os.getpid(), signal.SIGTERM)

    work = str(tmp_path / 'work')
    with pytest.raises(TrainingInterrupted, match=r'stopped by SIGTERM after iteration 3: saved '
                       r'.*iter_3.pth; tools/train.py CONFIG --resume') as stop:
        train_toy(work, max_iters=8, custom_hooks=[_Preempt(), dict(type='StopSignalHook')])
    assert stop.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handlers restored
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('iter_3.pth')
    resumed = train_toy(work, max_iters=8, resume=True)
    assert resumed.iter == 8
