"""Shared set-up of the ``tools/train.py`` and ``tools/test.py`` command lines."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from .config_check import check_config_keys
from .distributed import prepare_distributed_config

__all__ = ['load_run_config']


def load_run_config(config: str,
                    cfg_options: Optional[dict] = None,
                    launcher: str = 'none',
                    work_dir: Optional[str] = None) -> Config:
    """Loads a config the way mmseg's tools do, with our checks and CPU-distributed support.

    Args:
        config (str): path of the Python config file.
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        launcher (str): job launcher (``none``, ``pytorch``, ``slurm``, ``mpi``).
        work_dir (str, optional): ``--work-dir``; defaults to ``./work_dirs/<config name>``.

    Returns:
        Config: the config, ready for ``Runner.from_cfg``.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    check_config_keys(cfg)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    prepare_distributed_config(cfg, launcher)
    return cfg
