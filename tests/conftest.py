"""Shared pytest set-up: the repo root on sys.path, mmseg as the default registry scope."""
import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import projects.transavs  # noqa: E402,F401  (registers everything)

os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Builds from mmseg's registries, as configs with ``default_scope='mmseg'`` do."""
    from mmengine.registry import DefaultScope, init_default_scope
    init_default_scope('mmseg')
    yield
    DefaultScope._instance_dict.clear()


@pytest.fixture(scope='session')
def repo_root():
    return ROOT
