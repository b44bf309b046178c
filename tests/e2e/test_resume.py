"""A training run killed mid-way continues from its last checkpoint with --resume."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
from tool_runs import ROOT, run_tool, scalars, write_config

from projects.transavs.engine import safe_torch_load


def test_killed_run_resumes_from_last_checkpoint(s4_root, tmp_path):
    config = write_config(tmp_path / 'resume.py', s4_root, max_iters=12, val_interval=100,
                          ckpt_interval=4)
    work_dir = tmp_path / 'work'
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    proc = subprocess.Popen(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir',
         str(work_dir)], cwd=str(tmp_path), env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    # last_checkpoint is written right after iter_4.pth (a kill between the two is the
    # fallback tested in tests/engine/test_crash_recovery.py)
    while time.time() < deadline and not (work_dir / 'last_checkpoint').exists():
        assert proc.poll() is None, 'training ended before its first checkpoint'
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)  # killed somewhere after iteration 4
    proc.wait()
    assert not (work_dir / 'iter_12.pth').exists()
    with open(work_dir / 'last_checkpoint') as f:
        last = f.read().strip()
    resumed_from = safe_torch_load(last)['meta']['iter']
    assert resumed_from in (4, 8)

    result = run_tool(['train.py', config, '--work-dir', str(work_dir), '--resume'],
                      cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert f'resumed epoch: 0, iter: {resumed_from}' in log
    final = safe_torch_load(str(work_dir / 'iter_12.pth'))
    assert final['meta']['iter'] == 12
    # The optimiser continued: AdamW's step count is the total number of iterations.
    steps = {int(s['step'].item()) for s in final['optimizer']['state'].values()}
    assert steps == {12}
    # The learning-rate schedule and the threshold schedule (eq. 18, n_iter=4) continued.
    second_run = [s for s in scalars(str(work_dir)) if 'loss' in s and
                  s['step'] > resumed_from]
    first = min(second_run, key=lambda s: s['step'])
    assert first['step'] == resumed_from + 1
    # mmengine's PolyLR over [0, 12) decays as (1 - t / 11) ** 0.9 at 0-based iteration t.
    assert first['lr'] == pytest.approx(0.001 * (1 - resumed_from / 11)**0.9, rel=1e-4)
    assert first['delta1'] == pytest.approx(0.55 + 0.1 / 4 * (resumed_from // 4), abs=1e-9)
