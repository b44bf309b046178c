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


def test_dist_scripts_usage(repo_root):
    for script, nargs in (('dist_train.sh', 2), ('dist_test.sh', 3)):
        out = subprocess.run(['bash', osp.join(repo_root, 'tools', script)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2
        assert 'usage' in out.stderr
