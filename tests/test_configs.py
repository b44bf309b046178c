"""Every config loads; every full config passes the key check, builds its model with random
weights and runs one CPU forward at a small size."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from projects.transavs.engine import check_config_keys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ALL_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True))
FULL_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', '*.py')))


def _rel(path):
    return osp.relpath(path, ROOT)


def test_expected_configs_exist():
    names = {osp.basename(p) for p in FULL_CONFIGS}
    for backbone in ('r50', 'r101', 'swin-b', 'pvt-v2-b5', 'tiny'):
        for subset in ('s4', 'ms3'):
            assert f'transavs_{backbone}_{subset}.py' in names


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=_rel)
def test_config_loads(path):
    cfg = Config.fromfile(path)
    assert cfg.filename == path


@pytest.mark.parametrize('path', FULL_CONFIGS, ids=_rel)
def test_full_config_builds_and_runs(path):
    cfg = Config.fromfile(path)
    check_config_keys(cfg)
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports['imports'] == ['projects.transavs']
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'optim_wrapper',
                'param_scheduler', 'val_evaluator', 'test_evaluator'):
        assert key in cfg, key
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()  # random weights: no init_weights()
    num_frames = cfg.model.decode_head.clip_seconds
    batch = dict(
        inputs=dict(
            frames=[torch.randint(0, 256, (num_frames, 3, 64, 64), dtype=torch.uint8)],
            audio_log_mel=[torch.randn(num_frames, 1, 96, 64)]))
    with torch.no_grad():
        preds = model(**model.data_preprocessor(batch, False), mode='predict')
    prob = preds[0].pred_fg_prob.data
    assert prob.shape == (num_frames, 64, 64)
    assert torch.isfinite(prob).all()


def test_misspelt_top_level_key_is_reported(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text(f"_base_ = ['{osp.join(ROOT, 'configs', 'transavs_tiny_s4.py')}']\n"
                   'train_dataloder = dict(batch_size=2)\n')
    with pytest.raises(KeyError, match="train_dataloder.*train_dataloader"):
        check_config_keys(Config.fromfile(str(bad)))
