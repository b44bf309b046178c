"""Shared set-up of the ``tools/train.py`` and ``tools/test.py`` command lines."""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .config_check import check_component_options, check_config_keys
from .config_file import read_config
from .distributed import prepare_distributed_config

__all__ = [
    'build_runner', 'close_distributed', 'enable_model_compile', 'load_run_config',
    'parse_run_args'
]


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
        Config: the config, ready for :func:`build_runner`.
    """
    cfg = read_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    check_config_keys(cfg)
    check_component_options(cfg)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    prepare_distributed_config(cfg, launcher)
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Builds the config's runner as mmseg's tools do: ``runner_type`` when set.

    Our configs set ``runner_type = 'mmseg.AVSRunner'`` (restricted checkpoint loading,
    crash-safe saving); a config without it gets mmengine's plain ``Runner``.

    Args:
        cfg (Config): a loaded config (:func:`load_run_config`).

    Returns:
        Runner
    """
    return Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)


def close_distributed() -> None:
    """Destroys the default process group, if one was started (``--launcher``).

    The tools call it when their run has finished. A gloo process group left to the
    interpreter's exit can abort a rank (``terminate called without an active exception``,
    exit code -6 under ``torchrun``) after the work is done, which fails the whole job.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def parse_run_args(parser: argparse.ArgumentParser,
                   argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Adds the options that train and test share (as mmseg's tools) and parses ``argv``.

    ``--cfg-options``, ``--launcher`` and ``--local-rank`` (which sets ``LOCAL_RANK`` for
    ``torch.distributed`` launchers that pass it as an argument).

    Args:
        parser (argparse.ArgumentParser): the tool's parser with its own options.
        argv (Sequence[str], optional): the arguments; defaults to ``sys.argv[1:]``.

    Returns:
        argparse.Namespace
    """
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_model_compile(cfg: Config, mode: str = 'default') -> None:
    """Turns on the model's ``compile`` option (``TransAVS``) with a ``torch.compile`` mode
    (``tools/train.py --compile``).

    The model's option rather than mmengine's runner-level ``compile`` key: the runner
    compiles ``train_step`` as a whole, whose graph breaks at the backward pass and the
    optimiser step and holds the host-to-device copy of the batch (a graph with CPU inputs,
    which CUDA graphs skip); the model compiles its training forward on device tensors, in
    one graph where no host synchronisation is needed. Options already in the config's
    ``model.compile`` dict (a ``backend``, say) are kept.

    Args:
        cfg (Config): the loaded config, changed in place.
        mode (str): the ``torch.compile`` mode (``'default'``, ``'reduce-overhead'``,
            ``'max-autotune'``, ...). Defaults to ``'default'``.

    Raises:
        ValueError: the config also sets the runner-level ``compile`` key.
    """
    if cfg.get('compile'):
        raise ValueError("--compile compiles the model (model.compile); the config also sets "
                         "mmengine's runner-level compile (which compiles train_step): "
                         'choose one')
    options = cfg.model.get('compile')
    options = dict(options) if isinstance(options, dict) else {}
    options['mode'] = mode
    cfg.model.compile = ConfigDict(options)
