"""The demo's config: ``configs/transavs_tiny_demo.py`` pointed at the generated data.

The config file lives in this repository's ``configs/`` (the package is installed editable
from the repository, as ``tools/setup_env.sh`` does).
"""
import os.path as osp
from typing import Optional

from mmengine.config import Config

__all__ = ['REPO_ROOT', 'CONFIG', 'SUBSETS', 'build_config']

#: the repository root (``projects/transavs/demo/`` is three levels below it)
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO_ROOT, 'configs', 'transavs_tiny_demo.py')
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
    if iters is not None:
        cfg.train_cfg.max_iters = iters
        cfg.train_cfg.val_interval = iters + 1
        cfg.param_scheduler[0].end = iters
        cfg.default_hooks.checkpoint.interval = iters
        cfg.custom_hooks[0].n_iter = max(1, iters // 18)
    return cfg
