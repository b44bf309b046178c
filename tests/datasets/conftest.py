"""Small synthetic AVSBench trees (S4 and MS3, 3 videos per split), generated once per session."""
import os.path as osp

import pytest

from tools import make_synthetic_avsbench

VIDEOS_PER_SPLIT = 3
FRAME_SIZE = 96  # small on purpose: the default pipelines resize to 224 x 224


def _generate(tmp_path_factory, subset: str, seed: int) -> str:
    root = osp.join(str(tmp_path_factory.mktemp(f'avsbench_{subset}')), subset)
    make_synthetic_avsbench.main([
        '--out', root, '--subset', subset, '--videos', str(VIDEOS_PER_SPLIT), '--seed',
        str(seed), '--size', str(FRAME_SIZE)
    ])
    return root


@pytest.fixture(scope='session')
def videos_per_split() -> int:
    """Videos in each split of the synthetic trees."""
    return VIDEOS_PER_SPLIT


@pytest.fixture(scope='session')
def s4_root(tmp_path_factory) -> str:
    """data_root of a synthetic S4 tree (read-only: copy it before changing files)."""
    return _generate(tmp_path_factory, 's4', seed=0)


@pytest.fixture(scope='session')
def ms3_root(tmp_path_factory) -> str:
    """data_root of a synthetic MS3 tree (read-only: copy it before changing files)."""
    return _generate(tmp_path_factory, 'ms3', seed=1)
