"""The demo's config: ``configs/transavs_tiny_demo.py`` pointed at the generated data.

The config file lives in this repository's ``configs/`` (the package is installed editable
from the repository, as ``tools/setup_env.sh`` does).
"""
import os.path as osp
from typing import Optional

from mmengine.config import Config

__all__ = ['REPO_ROOT', 'CONFIG', 'AVSS_CONFIG', 'SUBSETS', 'build_config', 'build_avss_config']

#: the repository root (``projects/transavs/demo/`` is three levels below it)
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO_ROOT, 'configs', 'transavs_tiny_demo.py')
#: the semantic part's config (AVSBench-semantic, 71 classes)
AVSS_CONFIG = osp.join(REPO_ROOT, 'configs', 'transavs_tiny_avss_demo.py')
#: the demo's subsets, in the order of the config's concatenated datasets
SUBSETS = ('s4', 'ms3')


def build_config(config: str, out: str, iters: Optional[int]) -> Config:
    """The demo config with its data under ``{out}/data/{subset}`` and work dir in ``out``.

    Args:
        config (str): The demo config file (its train and test loaders concatenate an S4 and
            an MS3 dataset, in that order).
        out (str): The output folder.
        iters (int, optional): Training iterations; also moves the validation past the end,
            the poly schedule's end, the checkpoint interval and the confidence hook's
            ``n_iter`` (``iters // 18``). None keeps the config's.

    Returns:
        Config: The loaded, changed config.
    """
    cfg = Config.fromfile(config)
    roots = {s: osp.join(out, 'data', s) for s in SUBSETS}
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        for ds, subset in zip(loader.dataset.datasets, SUBSETS):
            ds.data_root = roots[subset]
    cfg.work_dir = osp.join(out, 'work_dir')
    _set_iters(cfg, iters)
    return cfg


def build_avss_config(config: str, out: str, iters: Optional[int]) -> Config:
    """The semantic demo config with its data in ``{out}/data/avss``, work dir
    ``{out}/work_dir_avss``.

    Args:
        config (str): The config file (one AVSBench-semantic dataset per loader).
        out (str): The output folder.
        iters (int, optional): Training iterations, as in :func:`build_config`.

    Returns:
        Config: The loaded, changed config.
    """
    cfg = Config.fromfile(config)
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = osp.join(out, 'data', 'avss')
    cfg.work_dir = osp.join(out, 'work_dir_avss')
    _set_iters(cfg, iters)
    return cfg


def _set_iters(cfg: Config, iters: Optional[int]) -> None:
    """Sets the training length and everything that follows it (see :func:`build_config`)."""
    if iters is None:
        return
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1
    cfg.param_scheduler[0].end = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.custom_hooks[0].n_iter = max(1, iters // 18)
