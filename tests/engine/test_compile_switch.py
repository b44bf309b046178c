"""``tools/train.py --compile``: the model's compile option, not mmengine's runner-level key."""
import os.path as osp

import pytest
from mmengine.config import Config

from projects.transavs.engine.run_config import enable_model_compile


@pytest.fixture
def cfg(repo_root):
    return Config.fromfile(osp.join(repo_root, 'configs/transavs_tiny_s4.py'))


def test_compile_switch_sets_the_model_option(cfg):
    assert 'compile' not in cfg.model and not cfg.get('compile')
    enable_model_compile(cfg, 'reduce-overhead')
    assert cfg.model.compile == dict(mode='reduce-overhead')
    assert not cfg.get('compile')  # mmengine's runner would compile train_step


def test_compile_switch_keeps_the_config_options(cfg):
    cfg.merge_from_dict({'model.compile': dict(backend='aot_eager', dynamic=False)})
    enable_model_compile(cfg)
    assert cfg.model.compile == dict(backend='aot_eager', dynamic=False, mode='default')


def test_compile_switch_refuses_the_runner_compile_too(cfg):
    cfg.compile = True
    with pytest.raises(ValueError, match="runner-level compile"):
        enable_model_compile(cfg)
