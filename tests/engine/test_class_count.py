"""A model whose class count differs from its data set's is stopped before the first step."""
import os.path as osp
import shutil
from types import SimpleNamespace

import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS, HOOKS, MODELS

from projects.transavs.engine.hooks import class_count_mismatch


def _model(repo_root, config, num_classes):
    cfg = Config.fromfile(osp.join(repo_root, 'configs', config)).model
    cfg.decode_head.num_classes = num_classes
    cfg.decode_head.criterion.num_classes = num_classes
    return MODELS.build(cfg)


def test_s4_with_three_classes(repo_root, s4_root):
    dataset = DATASETS.build(dict(type='AVSBenchS4Dataset', data_root=s4_root, split='test'))
    assert class_count_mismatch(_model(repo_root, 'transavs_tiny_s4.py', 2), dataset,
                                'train_dataloader') is None
    model = _model(repo_root, 'transavs_tiny_s4.py', 3)
    hook = HOOKS.build(dict(type='ClassCountCheckHook'))
    runner = SimpleNamespace(model=model, test_dataloader=SimpleNamespace(dataset=dataset))
    with pytest.raises(ValueError, match=r'test_dataloader: the data set has 2 classes \(the '
                       r'classes of AVSBenchS4Dataset \(background, sounding\)\), but the model '
                       r'predicts 3 \(model.decode_head.num_classes\)'):
        hook.before_test(runner)


def test_avss_label_index_of_another_size(repo_root, avss_root, tmp_path):
    root = str(tmp_path / 'avss')
    shutil.copytree(avss_root, root)
    dataset = DATASETS.build(dict(type='AVSBenchSemanticDataset', data_root=root, split='test'))
    assert len(dataset.metainfo['classes']) == 71
    model = _model(repo_root, 'transavs_tiny_avss.py', 60)
    problem = class_count_mismatch(model, dataset, 'val_dataloader')
    assert problem.startswith(f'val_dataloader: the data set has 71 classes '
                              f'({osp.join(root, "label2idx.json")}, the label index of '
                              'AVSBenchSemanticDataset), but the model predicts 60')
