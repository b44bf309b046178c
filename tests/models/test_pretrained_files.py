"""Absent pretrained weights: a warning and random initialisation, never a crash."""
import copy
import os.path as osp

import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from projects.transavs.models.utils import checkpoint_available, drop_unavailable_pretrained


def _tiny(repo_root):
    return Config.fromfile(osp.join(repo_root, 'configs/_base_/models/transavs_tiny.py')).model


def test_missing_local_and_unreachable_url_warn(repo_root, tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr('projects.transavs.models.utils.optional_pretrained.print_log',
                        lambda msg, *args, **kwargs: logged.append(msg))
    cfg = copy.deepcopy(_tiny(repo_root))
    cfg.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'nope.pth'))
    cfg.audio_backbone.init_cfg = dict(type='Pretrained',
                                       checkpoint='https://invalid.invalid/vggish.pth')
    model = MODELS.build(cfg)
    model.init_weights()  # no exception
    text = '\n'.join(logged)
    assert 'nope.pth' in text and 'RANDOM' in text
    assert 'invalid.invalid' in text


def test_available_checkpoint_is_loaded(repo_root, tmp_path):
    cfg = copy.deepcopy(_tiny(repo_root))
    source = MODELS.build(copy.deepcopy(cfg))
    path = str(tmp_path / 'backbone.pth')
    torch.save(source.backbone.state_dict(), path)
    cfg.backbone.init_cfg = dict(type='Pretrained', checkpoint=path)
    model = MODELS.build(cfg)
    assert drop_unavailable_pretrained(model) == []
    model.init_weights()
    torch.testing.assert_close(model.backbone.conv1.weight, source.backbone.conv1.weight)


def test_checkpoint_available(tmp_path):
    (tmp_path / 'a.pth').write_bytes(b'x')
    assert checkpoint_available(str(tmp_path / 'a.pth'))
    assert not checkpoint_available(str(tmp_path / 'b.pth'))
    assert not checkpoint_available('https://invalid.invalid/b.pth')
