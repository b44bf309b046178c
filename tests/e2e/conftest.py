"""A short training run shared by the e2e tests."""
import pytest
from tool_runs import run_tool, write_config


@pytest.fixture(scope='session')
def trained(tmp_path_factory, s4_root):
    """One short training run with tools/train.py; returns (config, work_dir, result)."""
    tmp = tmp_path_factory.mktemp('e2e_train')
    config = write_config(tmp / 'tiny_test.py', s4_root)
    work_dir = str(tmp / 'work')
    result = run_tool(['train.py', config, '--work-dir', work_dir], cwd=tmp)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return config, work_dir, result
