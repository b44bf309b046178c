"""tools/train.py pre-empted (SIGTERM, as SLURM and Kubernetes send): it saves a checkpoint at
the end of the current iteration, says so in one line, exits with 143; --resume continues."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

from tool_runs import ROOT, run_tool, write_config

from projects.transavs.engine import safe_torch_load


def test_sigterm_saves_and_resume_continues(s4_root, tmp_path):
    config = write_config(tmp_path / 'tiny.py', s4_root, max_iters=400, val_interval=1000,
                          ckpt_interval=1000)
    work = tmp_path / 'work'
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(OMP_NUM_THREADS='1')
    log = open(tmp_path / 'out.txt', 'w')
    proc = subprocess.Popen([sys.executable, osp.join(ROOT, 'tools', 'train.py'), config,
                             '--work-dir', str(work)], cwd=str(tmp_path), env=env, stdout=log,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while 'Iter(train) [  2/400]' not in (tmp_path / 'out.txt').read_text():
        assert proc.poll() is None and time.time() < deadline, 'training did not start'
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=240)
    log.close()
    assert proc.returncode == 128 + signal.SIGTERM, stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith('train.py: training stopped by SIGTERM after iteration '), last
    saved = last.split('saved ')[1].split(';')[0]
    step = safe_torch_load(saved)['meta']['iter']
    assert 2 <= step < 400 and saved == str(work / f'iter_{step}.pth')
    assert (work / 'last_checkpoint').read_text().strip() == saved
    resumed = run_tool(['train.py', config, '--work-dir', str(work), '--resume', '--cfg-options',
                        f'train_cfg.max_iters={step + 1}'], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f'Auto resumed from the latest checkpoint {saved}' in resumed.stdout + resumed.stderr
    assert safe_torch_load(str(work / f'iter_{step + 1}.pth'))['meta']['iter'] == step + 1
