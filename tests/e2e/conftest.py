"""A short training run and one test of its checkpoint, shared by the e2e tests."""
import os.path as osp

import pytest
from tool_runs import read_test_metrics, run_tool, write_config


@pytest.fixture(scope='session')
def trained(tmp_path_factory, s4_root):
    """One short training run with tools/train.py; returns (config, work_dir, result)."""
    tmp = tmp_path_factory.mktemp('e2e_train')
    config = write_config(tmp / 'tiny_test.py', s4_root)
    work_dir = str(tmp / 'work')
    result = run_tool(['train.py', config, '--work-dir', work_dir], cwd=tmp)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return config, work_dir, result


@pytest.fixture(scope='session')
def tested(tmp_path_factory, trained):
    """tools/test.py on the training run's iter_16.pth with --out and --show-dir; returns
    (folder holding test1/ (work dir), preds/ and vis/, the metrics)."""
    config, work_dir, _ = trained
    tmp = tmp_path_factory.mktemp('e2e_test')
    result = run_tool(['test.py', config, osp.join(work_dir, 'iter_16.pth'), '--work-dir',
                       str(tmp / 'test1'), '--out', str(tmp / 'preds'), '--show-dir',
                       str(tmp / 'vis')], cwd=tmp)
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp, read_test_metrics(str(tmp / 'test1'))


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``--dist loadgroup``, as ``make test`` runs), the tests that use the
    training run go to one worker, so that it trains once, not once per worker."""
    for item in items:
        if 'trained' in getattr(item, 'fixturenames', ()):
            item.add_marker(pytest.mark.xdist_group('e2e_trained'))
