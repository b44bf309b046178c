"""A missing pretrained file stops a run at start; nothing is downloaded to check."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from projects.transavs.models.utils import check_pretrained_files, missing_pretrained_files


def _tiny(repo_root):
    return Config.fromfile(osp.join(repo_root, 'configs/_base_/models/transavs_tiny.py')).model


def test_missing_local_file_is_an_error(repo_root, tmp_path):
    cfg = copy.deepcopy(_tiny(repo_root))
    cfg.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'nope.pth'))
    cfg.neck.init_cfg = [dict(type='Pretrained', checkpoint='pretrained/pvt_v2_b5_mmseg.pth')]
    model = MODELS.build(cfg)
    assert missing_pretrained_files(model) == [
        ('backbone', 'ResNet', str(tmp_path / 'nope.pth')),
        ('neck', 'AVSPixelDecoder', 'pretrained/pvt_v2_b5_mmseg.pth')]
    with pytest.raises(FileNotFoundError) as error:
        model.init_weights()  # the segmentor checks before loading anything
    text = str(error.value)
    assert 'nope.pth' in text and 'backbone (ResNet)' in text and '1_dataset_prepare.md' in text
    assert 'pvt_v2_to_mmseg.py' in text  # where to get a known file
    assert osp.abspath('pretrained/pvt_v2_b5_mmseg.pth') in text


def test_urls_are_not_fetched_to_check(repo_root, monkeypatch):
    def no_download(*args, **kwargs):
        raise AssertionError('checking must not download')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', no_download)
    cfg = copy.deepcopy(_tiny(repo_root))
    cfg.audio_backbone.init_cfg = dict(type='Pretrained',
                                       checkpoint='https://invalid.invalid/vggish.pth')
    cfg.backbone.init_cfg = dict(type='Pretrained', checkpoint='torchvision://resnet18')
    model = MODELS.build(cfg)
    assert missing_pretrained_files(model) == []
    check_pretrained_files(model)


def test_available_checkpoint_is_loaded(repo_root, tmp_path):
    cfg = copy.deepcopy(_tiny(repo_root))
    source = MODELS.build(copy.deepcopy(cfg))
    path = str(tmp_path / 'backbone.pth')
    torch.save(source.backbone.state_dict(), path)
    cfg.backbone.init_cfg = dict(type='Pretrained', checkpoint=path)
    model = MODELS.build(cfg)
    assert missing_pretrained_files(model) == []
    model.init_weights()
    torch.testing.assert_close(model.backbone.conv1.weight, source.backbone.conv1.weight)


@pytest.mark.parametrize('config', ['transavs_r50_s4.py', 'transavs_pvt-v2-b5_s4.py',
                                    'transavs_swin-b_ms3.py'])
def test_paper_configs_ask_for_pretrained_weights(repo_root, config):
    """The paper configs name pretrained backbones (never silently random)."""
    cfg = Config.fromfile(osp.join(repo_root, 'configs', config))
    assert cfg.model.backbone.init_cfg['type'] == 'Pretrained'
    assert cfg.model.audio_backbone.init_cfg['type'] == 'Pretrained'
