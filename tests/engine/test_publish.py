"""Publishing checkpoints: weights and plain metadata, loadable without any allow-list."""
import hashlib
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader, load_checkpoint
from toy_runner import ToyModel, train_toy

from projects.transavs.engine import (
    NonFiniteCheckpointError,
    plain_meta,
    publish_checkpoint,
    published_name,
    safe_torch_load,
)


def _sha(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_publish_training_checkpoint(tmp_path):
    runner = train_toy(str(tmp_path / 'work'))
    ckpt_path = osp.join(str(tmp_path / 'work'), 'iter_4.pth')
    # The reason for publishing: plain restricted loading refuses a training checkpoint.
    with pytest.raises(pickle.UnpicklingError):
        torch.load(ckpt_path, weights_only=True)
    out = publish_checkpoint(ckpt_path, str(tmp_path / 'toy.pth'))
    assert osp.basename(out) == f'toy-{_sha(out)[:8]}.pth'
    published = torch.load(out, weights_only=True)  # no extra globals
    assert set(published) == {'meta', 'state_dict'}
    torch.testing.assert_close(published['state_dict']['linear.weight'],
                               runner.model.linear.weight.detach())
    training_meta = safe_torch_load(ckpt_path)['meta']
    assert published['meta']['iter'] == training_meta['iter'] == 4
    assert published['meta']['mmengine_version'] == training_meta['mmengine_version']
    # mmengine's own loaders, with torch's defaults, read it.
    CheckpointLoader.load_checkpoint(out, map_location='cpu')
    model = ToyModel()
    load_checkpoint(model, out, map_location='cpu', strict=True)
    torch.testing.assert_close(model.linear.weight, runner.model.linear.weight)
    # Publishing again gives the same file (same bytes, same name).
    assert publish_checkpoint(ckpt_path, str(tmp_path / 'toy.pth')) == out


def _save(path, state_dict, meta):
    torch.save({'state_dict': state_dict, 'meta': meta, 'optimizer': {'state': {}}}, path)
    return str(path)


def test_meta_made_plain_and_foreign_entries_dropped(tmp_path):
    meta = dict(dataset_meta=dict(classes=('background', 'sounding'),
                                  palette=[[0, 0, 0], [255, 255, 255]]),
                cfg='model = dict()', seed=np.int64(3), loss=np.float32(0.5),
                arr=np.arange(3), when=np.datetime64('2026-01-01'))
    path = _save(tmp_path / 'in.pth', {'w': torch.ones(2)}, meta)
    out = publish_checkpoint(path, str(tmp_path / 'out.pth'))
    got = torch.load(out, weights_only=True)['meta']
    assert got['dataset_meta'] == meta['dataset_meta']
    assert got['seed'] == 3 and type(got['seed']) is int
    assert got['loss'] == 0.5 and got['arr'] == [0, 1, 2]
    assert 'when' not in got
    plain, dropped = plain_meta(meta)
    assert dropped == ['meta.when (datetime64)'] and plain == got


def test_non_finite_weights_refused(tmp_path):
    path = _save(tmp_path / 'nan.pth', {'a': torch.ones(2), 'b': torch.tensor([1., np.nan]),
                                       'c': torch.tensor([np.inf])}, {})
    with pytest.raises(NonFiniteCheckpointError,
                       match=r'nan.pth: 2 weight tensor\(s\) hold NaN or infinite values \(b, c\)'):
        publish_checkpoint(path, str(tmp_path / 'out.pth'))
    assert not list(tmp_path.glob('out*'))


def test_refusals(tmp_path):
    path = _save(tmp_path / 'in.pth', {'w': torch.ones(2)}, {})
    with pytest.raises(ValueError, match='must differ'):
        publish_checkpoint(path, path)
    torch.save({'model': {'w': torch.ones(1)}}, tmp_path / 'nostate.pth')
    with pytest.raises(ValueError, match=r'nostate.pth: expected a checkpoint dict with a '
                       r'"state_dict"'):
        publish_checkpoint(str(tmp_path / 'nostate.pth'), str(tmp_path / 'o.pth'))
    out = publish_checkpoint(path, str(tmp_path / 'o.pth'))
    with open(out, 'wb') as f:  # someone else's file under that name: never overwritten
        f.write(b'other')
    with pytest.raises(FileExistsError, match='differs'):
        publish_checkpoint(path, str(tmp_path / 'o.pth'))
    assert open(out, 'rb').read() == b'other'


def test_published_name():
    assert published_name('a/b.pth', 'abcdef0123') == 'a/b-abcdef01.pth'
    assert published_name('b', 'abcdef0123') == 'b-abcdef01.pth'


def test_our_loader_reads_published_tiny_model(tmp_path, tiny_checkpoint, config):
    """init_model (strict) loads a published checkpoint as it loads a training one."""
    from projects.transavs.apis import init_model
    out = publish_checkpoint(tiny_checkpoint, str(tmp_path / 'tiny.pth'))
    model = init_model(config, out, device='cpu')
    reference = torch.load(tiny_checkpoint, weights_only=True)['state_dict']
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, reference[name])


def test_mmseg_init_model_loads_published(tmp_path, tiny_checkpoint, config):
    """mmseg's own init_model (plain mmengine loading, model.pretrained = None) builds our
    config and loads a published checkpoint, with its dataset_meta."""
    from mmseg.apis import init_model as mmseg_init_model
    training = torch.load(tiny_checkpoint, weights_only=True)
    training['meta'] = dict(dataset_meta=dict(classes=('background', 'sounding'),
                                              palette=[[0, 0, 0], [255, 255, 255]]))
    torch.save(training, tmp_path / 'with_meta.pth')
    out = publish_checkpoint(str(tmp_path / 'with_meta.pth'), str(tmp_path / 'tiny.pth'))
    model = mmseg_init_model(config, out, device='cpu')
    assert model.dataset_meta['classes'] == ('background', 'sounding')
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, training['state_dict'][name])
    # Built without train_cfg (as init_model does): inference only, losses refused.
    from projects.transavs.benchmark import make_batch
    data = model.data_preprocessor(make_batch(1, 5, (64, 64), 'cpu'), True)
    with pytest.raises(RuntimeError, match='built for inference.*train_cfg'):
        model.loss(data['inputs'], data['data_samples'])


def test_pretrained_sets_the_backbone_init_cfg(tmp_path, config):
    """``pretrained=...`` (mmseg's EncoderDecoder argument) loads the visual backbone."""
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(config).model
    source = MODELS.build(cfg.backbone)
    torch.save({'state_dict': source.state_dict()}, tmp_path / 'backbone.pth')
    model = MODELS.build(dict(cfg, pretrained=str(tmp_path / 'backbone.pth')))
    model.init_weights()
    for name, value in source.state_dict().items():
        torch.testing.assert_close(model.backbone.state_dict()[name], value)
