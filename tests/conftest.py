"""Shared pytest set-up: mmseg as the default registry scope, synthetic AVSBench trees, a tiny
checkpoint. The plugin is imported as installed (``pip install -e .``, tools/setup_env.sh)."""
import os
import os.path as osp

import pytest

import projects.transavs  # noqa: F401  (registers everything)
from projects.transavs.datasets.synthetic import generate_dataset, generate_semantic_dataset

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

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


# Small synthetic AVSBench trees (S4 and MS3), generated once per session.

VIDEOS_PER_SPLIT = 3
FRAME_SIZE = 96  # small on purpose: the default pipelines resize to 224 x 224


def _generate(tmp_path_factory, subset: str, seed: int) -> str:
    root = osp.join(str(tmp_path_factory.mktemp(f'avsbench_{subset}')), subset)
    generate_dataset(root, subset, VIDEOS_PER_SPLIT, seed=seed, size=FRAME_SIZE)
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


@pytest.fixture(scope='session')
def avss_root(tmp_path_factory) -> str:
    """data_root of a synthetic AVSBench-semantic tree: one v1s, v1m and v2 clip per split
    (read-only: copy it before changing files)."""
    root = osp.join(str(tmp_path_factory.mktemp('avsbench_semantic')), 'avss')
    generate_semantic_dataset(root, dict(v1s=1, v1m=1, v2=1), seed=2, frame_size=(80, 60),
                              progress=False)
    return root


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory) -> str:
    """A checkpoint of ``configs/transavs_tiny_s4.py`` (random init, seed 0).

    The class head is sharpened and made antisymmetric (background logit = -sounding logit,
    x 5, "no object" logit 0) so that queries split between the two real classes by one
    projection; its offset is set to the median of that projection over the queries of a
    random clip, so about half the queries vote for each class. Eq. 14 then predicts both
    classes, and the foreground probabilities lie on both sides of 0.5.
    """
    import numpy as np
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    from projects.transavs.apis import inference_avs

    init_default_scope('mmseg')  # session fixtures run before the autouse scope fixture
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/transavs_tiny_s4.py'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.cfg = cfg
    model.eval()
    cls_embed = model.decode_head.cls_embed  # rows: background, sounding, no object
    with torch.no_grad():
        cls_embed.weight[1] *= 5
        cls_embed.weight[0] = -cls_embed.weight[1]
        cls_embed.weight[2] = 0
        cls_embed.bias.zero_()
    sounding = []  # [F, N] sounding logits of the last decoder layer
    handle = cls_embed.register_forward_hook(lambda mod, args, out: sounding.append(out[..., 1]))
    rng = np.random.default_rng(123)
    with torch.no_grad():
        inference_avs(model, rng.integers(0, 256, (2, 64, 64, 3), dtype=np.uint8),
                      rng.standard_normal(32000).astype(np.float32), sample_rate=16000)
        handle.remove()
        median = sounding[-1].median()
        cls_embed.bias[1] = -median
        cls_embed.bias[0] = median
    path = str(tmp_path_factory.mktemp('tiny_checkpoint') / 'tiny_s4.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


@pytest.fixture(scope='session')
def media(tmp_path_factory) -> dict:
    """A synthetic video with an audio track, a wav and a frame folder (``video_media``)."""
    from video_media import make_media
    return make_media(str(tmp_path_factory.mktemp('video_media')))


@pytest.fixture(scope='session')
def config(repo_root) -> str:
    """The tiny S4 config, the model that ``tiny_checkpoint`` holds."""
    return osp.join(repo_root, 'configs/transavs_tiny_s4.py')


@pytest.fixture(scope='session')
def avss_model(repo_root):
    """The tiny AVSS model, random weights, its class head spread over the 71 classes."""
    import warnings

    import torch

    from projects.transavs.apis import init_model
    from projects.transavs.datasets.semantic_palette import AVSS_CLASSES, bit_palette
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # random weights
        model = init_model(f'{repo_root}/configs/transavs_tiny_avss.py', None)
    # as init_model sets it from a trained checkpoint's meta
    model.dataset_meta = dict(classes=AVSS_CLASSES, palette=bit_palette().tolist())
    with torch.no_grad():
        head = model.decode_head.cls_embed
        head.weight.mul_(4)
        head.bias.copy_(torch.randn_like(head.bias) * 2)
        head.bias[-1] = -10  # "no object" rare
    return model
