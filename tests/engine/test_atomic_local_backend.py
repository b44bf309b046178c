"""Checkpoint writes are atomic: a killed writer never leaves a truncated checkpoint."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import torch
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.runner.checkpoint import save_checkpoint
from toy_runner import train_toy

from projects.transavs.engine import (
                                      ATOMIC_LOCAL_BACKEND,
                                      AtomicLocalBackend,
                                      register_atomic_local_backend,
                                      safe_torch_load,
)

ATOMIC = dict(backend=ATOMIC_LOCAL_BACKEND)


def test_atomic_backend_is_opt_in(tmp_path):
    register_atomic_local_backend()
    register_atomic_local_backend()  # idempotent
    # mmengine's backend for local paths stays its own.
    assert type(get_file_backend(str(tmp_path / 'x.pth'))) is LocalBackend
    assert isinstance(get_file_backend(str(tmp_path / 'x.pth'), backend_args=ATOMIC),
                      AtomicLocalBackend)
    path = tmp_path / 'sub' / 'ckpt.pth'
    save_checkpoint({'state_dict': {'w': torch.arange(3.)}}, str(path), backend_args=ATOMIC)
    assert torch.equal(safe_torch_load(str(path))['state_dict']['w'], torch.arange(3.))
    assert os.listdir(tmp_path / 'sub') == ['ckpt.pth']  # no temporary left behind


def test_avs_runner_saves_through_the_atomic_backend(tmp_path, monkeypatch):
    written = []
    put = AtomicLocalBackend.put

    def spy(self, obj, filepath):
        written.append(os.path.basename(str(filepath)))
        return put(self, obj, filepath)

    monkeypatch.setattr(AtomicLocalBackend, 'put', spy)
    train_toy(str(tmp_path))
    assert written == ['iter_2.pth', 'iter_4.pth']
    assert safe_torch_load(str(tmp_path / 'iter_4.pth'))['meta']['iter'] == 4
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.tmp')]


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    register_atomic_local_backend()
    path = tmp_path / 'ckpt.pth'
    save_checkpoint({'v': torch.zeros(2)}, str(path), backend_args=ATOMIC)
    original = path.read_bytes()

    def broken_fsync(fd):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', broken_fsync)
    try:
        save_checkpoint({'v': torch.ones(10000)}, str(path), backend_args=ATOMIC)
    except OSError:
        pass
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ['ckpt.pth']


def test_killed_writer_never_leaves_a_truncated_checkpoint(tmp_path):
    """SIGKILL a process in the middle of writing a large checkpoint."""
    register_atomic_local_backend()
    path = tmp_path / 'iter_2.pth'
    save_checkpoint({'iter': 1, 'w': torch.zeros(4)}, str(path), backend_args=ATOMIC)
    script = textwrap.dedent(f'''
        import time, os
        import torch
        from mmengine.runner.checkpoint import save_checkpoint
        from projects.transavs.engine import register_atomic_local_backend
        register_atomic_local_backend()
        real_write = os.fdopen
        def slow_fdopen(*args, **kwargs):
            f = real_write(*args, **kwargs)
            write = f.write
            def chunked(data):
                for i in range(0, len(data), 1 << 20):
                    write(data[i:i + (1 << 20)])
                    f.flush()
                    time.sleep(0.05)
            f.write = chunked
            return f
        os.fdopen = slow_fdopen
        print('start', flush=True)
        save_checkpoint({{'iter': 2, 'w': torch.ones(16 << 20)}}, {str(path)!r},
                        backend_args=dict(backend='atomic_local'))
        print('done', flush=True)
    ''')
    proc = subprocess.Popen([sys.executable, '-c', script], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == 'start'
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until the temporary file is being written
        tmps = [f for f in os.listdir(tmp_path) if f.endswith('.tmp')]
        if tmps and os.path.getsize(tmp_path / tmps[0]) > (4 << 20):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert tmps, 'the writer never started writing'
    # The target is still the complete previous checkpoint.
    assert safe_torch_load(str(path))['iter'] == 1
