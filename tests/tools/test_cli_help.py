"""The command-line tools start and show mmseg's interface."""
import os
import os.path as osp
import subprocess
import sys

import pytest

TOOLS = {
    'train.py': ['--work-dir', '--resume', '--amp', '--cfg-options', '--launcher'],
    'test.py': ['--work-dir', '--out', '--show-dir', '--cfg-options', '--launcher'],
}


@pytest.mark.parametrize('tool', sorted(TOOLS))
def test_help(tool, repo_root, tmp_path):
    # From another working directory, without PYTHONPATH: the plugin is installed.
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    out = subprocess.run([sys.executable, osp.join(repo_root, 'tools', tool), '--help'],
                         cwd=str(tmp_path), env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    for flag in TOOLS[tool]:
        assert flag in out.stdout


def test_launch_scripts_usage(repo_root):
    for script in ('dist_train.sh', 'dist_test.sh', 'slurm_train.sh', 'slurm_test.sh'):
        out = subprocess.run(['bash', osp.join(repo_root, 'tools', script)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2
        assert 'usage' in out.stderr


def test_slurm_script_command_line(repo_root, tmp_path):
    """slurm_train.sh hands srun the tool, its arguments and --launcher=slurm (fake srun)."""
    fake = tmp_path / 'srun'
    fake.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f'{tmp_path}:{os.environ["PATH"]}', GPUS='8',
               GPUS_PER_NODE='8', PYTHON='py')
    out = subprocess.run(['bash', osp.join(repo_root, 'tools', 'slurm_train.sh'), 'part', 'job',
                          'cfg.py', '--amp'], capture_output=True, text=True, timeout=60,
                         env=env)
    assert out.returncode == 0, out.stderr
    args = out.stdout.split('\n')
    assert args[:6] == ['-p', 'part', '--job-name=job', '--gres=gpu:8', '--ntasks=8',
                        '--ntasks-per-node=8']
    assert args[-5:-1] == [osp.join(repo_root, 'tools', 'train.py'), 'cfg.py',
                           '--launcher=slurm', '--amp']
