"""The messages of a full disk and of a dead DataLoader worker (the faults themselves run in
tests/e2e/test_disk_and_workers.py)."""
import errno
import os

import pytest

from projects.transavs.datasets.loading_tracker import clip_label, clip_loaded_by
from projects.transavs.engine import explain_worker_death
from projects.transavs.engine.worker_failure import worker_pids
from projects.transavs.utils import DiskFullError, explain_disk_full
from projects.transavs.utils.disk_space import format_bytes


@pytest.mark.skipif(not os.path.exists('/dev/full'), reason='needs /dev/full')
def test_dev_full_is_named_with_sizes():
    with pytest.raises(DiskFullError) as info:
        with explain_disk_full('/dev/full', needed=3 * 2**20):
            with open('/dev/full', 'wb') as f:
                f.write(b'x' * 10)
    message = str(info.value)
    assert message.startswith('no space left on the device writing /dev/full (it needs 3.0 MiB,')
    assert info.value.errno == errno.ENOSPC and info.value.filename == '/dev/full'
    assert isinstance(info.value.__cause__, OSError)


def test_other_errors_pass_unchanged(tmp_path):
    with pytest.raises(FileNotFoundError):
        with explain_disk_full(tmp_path / 'x'):
            open(tmp_path / 'missing' / 'x')
    inner = DiskFullError('inner message', 'a')
    with pytest.raises(DiskFullError, match='^inner message$'):
        with explain_disk_full('b'):
            raise inner


def test_format_bytes():
    assert [format_bytes(n) for n in (0, 1023, 1536, 5 * 2**20, 3 * 2**30, 2**42)] == \
        ['0 B', '1023 B', '1.5 KiB', '5.0 MiB', '3.0 GiB', '4096.0 GiB']


def test_worker_messages_of_pytorch_are_read():
    exited = RuntimeError('DataLoader worker (pid(s) 4242, 4243) exited unexpectedly')
    exited.__cause__ = RuntimeError('DataLoader worker (pid 4242) is killed by signal: Killed.')
    assert worker_pids(exited) == [4242, 4243]
    died = explain_worker_death(exited, 'Resume with X.')
    assert str(died).startswith('DataLoader workers (pid 4242, 4243) were killed by signal '
                                'Killed while not loading a clip of ours')
    assert str(died).endswith('Resume with X.')
    assert explain_worker_death(RuntimeError('CUDA out of memory'), 'x') is None
    assert clip_loaded_by(4242) is None  # nothing recorded outside workers


def test_clip_label():
    assert clip_label(dict(subset='s4', video_name='a')) == 's4/a'
    assert clip_label(dict(uid='u')) == 'u'
    assert clip_label({}, 3) == '#3 (no video_name)'
