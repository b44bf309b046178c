"""VGGish: torchvggish key layout, checkpoint loading, an independent forward, PCA, freezing."""
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

CONV_KEYS = ['features.0', 'features.3', 'features.6', 'features.8', 'features.11',
             'features.13']
FC_KEYS = ['embeddings.0', 'embeddings.2', 'embeddings.4']
CONV_SHAPES = [(64, 1), (128, 64), (256, 128), (256, 256), (512, 256), (512, 512)]
FC_SHAPES = [(4096, 12288), (4096, 4096), (128, 4096)]


def _torchvggish_state_dict(seed=0):
    """Random weights under torchvggish's ``vggish-10086976.pth`` keys and shapes."""
    g = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    for key, (out_c, in_c) in zip(CONV_KEYS, CONV_SHAPES):
        sd[f'{key}.weight'] = torch.randn(out_c, in_c, 3, 3, generator=g) * (2 / (9 * in_c))**.5
        sd[f'{key}.bias'] = torch.randn(out_c, generator=g) * 0.01
    for key, (out_f, in_f) in zip(FC_KEYS, FC_SHAPES):
        sd[f'{key}.weight'] = torch.randn(out_f, in_f, generator=g) * (2 / in_f)**.5
        sd[f'{key}.bias'] = torch.randn(out_f, generator=g) * 0.01
    return sd


def _reference_forward(sd, x):
    """VGGish written out: 3x3 convs + ReLU, 2x2 max pools after convs 1, 2, 4, 6,
    channels-last flattening, three FC + ReLU."""
    for i, key in enumerate(CONV_KEYS):
        x = F.relu(F.conv2d(x, sd[f'{key}.weight'], sd[f'{key}.bias'], padding=1))
        if i in (0, 1, 3, 5):
            x = F.max_pool2d(x, 2, 2)
    x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # [n, 6, 4, 512] flattened
    for key in FC_KEYS:
        x = F.relu(F.linear(x, sd[f'{key}.weight'], sd[f'{key}.bias']))
    return x


@pytest.fixture(scope='module')
def vggish_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('vggish') / 'vggish-10086976.pth'
    sd = _torchvggish_state_dict()
    torch.save(sd, str(path))
    return str(path), sd


def test_state_dict_keys_match_torchvggish():
    model = MODELS.build(dict(type='VGGish'))
    ref = _torchvggish_state_dict()
    assert list(model.state_dict().keys()) == list(ref.keys())
    assert all(model.state_dict()[k].shape == v.shape for k, v in ref.items())


def test_loads_checkpoint_and_matches_independent_forward(vggish_ckpt):
    path, sd = vggish_ckpt
    model = MODELS.build(dict(type='VGGish', init_cfg=dict(type='Pretrained', checkpoint=path)))
    model.init_weights()
    x = torch.randn(3, 1, 96, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = model(x)
    assert out.shape == (3, 128)
    torch.testing.assert_close(out, _reference_forward(sd, x), rtol=1e-4, atol=1e-5)
    assert (out >= 0).all()  # final ReLU


def test_frozen_by_default_and_trainable_by_config():
    frozen = MODELS.build(dict(type='VGGish', arch='tiny'))
    frozen.train()
    assert not frozen.training
    assert not any(p.requires_grad for p in frozen.parameters())
    trainable = MODELS.build(dict(type='VGGish', arch='tiny', frozen=False))
    trainable.train()
    assert trainable.training and all(p.requires_grad for p in trainable.parameters())
    out = trainable(torch.randn(2, 1, 96, 64))
    assert out.shape == (2, 128)
    out.sum().backward()
    assert trainable.features[0].weight.grad is not None


def test_pca_postprocess(vggish_ckpt, tmp_path):
    path, sd = vggish_ckpt
    rng = np.random.default_rng(0)
    eigen = rng.standard_normal((128, 128)).astype(np.float64) * 0.1
    means = rng.standard_normal(128).astype(np.float64)
    pca_path = str(tmp_path / 'vggish_pca_params-970ea276.pth')
    torch.save({'pca_eigen_vectors': eigen, 'pca_means': means}, pca_path)  # numpy inside
    model = MODELS.build(
        dict(type='VGGish', postprocess=True, pca_checkpoint=pca_path,
             init_cfg=dict(type='Pretrained', checkpoint=path)))
    model.init_weights()
    x = torch.randn(2, 1, 96, 64)
    with torch.no_grad():
        out = model(x)
    emb = _reference_forward(sd, x).double().numpy()
    pca = (eigen @ (emb.T - means[:, None])).T
    expected = np.round((np.clip(pca, -2, 2) + 2) * (255 / 4))
    assert np.abs(out.numpy() - expected).max() <= 1  # rounding at .5 edges in float32
    assert out.min() >= 0 and out.max() <= 255


def test_bad_input_shape_is_named():
    model = MODELS.build(dict(type='VGGish', arch='tiny'))
    with pytest.raises(ValueError, match=r'\[n, 1, 96, 64\]'):
        model(torch.randn(2, 96, 64))
    with pytest.raises(KeyError, match='unknown arch'):
        MODELS.build(dict(type='VGGish', arch='huge'))


def test_postprocess_without_pca_parameters_is_an_error(tmp_path):
    with pytest.raises(ValueError, match='pca_checkpoint'):
        MODELS.build(dict(type='VGGish', arch='tiny', postprocess=True))
    model = MODELS.build(dict(type='VGGish', postprocess=True,
                              pca_checkpoint=str(tmp_path / 'vggish_pca.pth')))
    with pytest.raises(FileNotFoundError, match='vggish_pca.pth'):
        model.init_weights()
