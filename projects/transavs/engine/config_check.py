"""Catches misspelt top-level config keys before a run silently ignores them.

``Runner.from_cfg`` reads a fixed set of top-level keys and ignores every other one, so a
typo such as ``train_dataloder`` would train without the intended loader settings. Configs
also define their own helper variables (``crop_size``, ``data_root`` ...), so an unknown key
is only an error when it is a near miss of a key the runner reads.
"""
import difflib
from typing import Iterable, List

from mmengine.config import Config

__all__ = ['RUNNER_KEYS', 'check_config_keys']

#: Top-level keys that mmengine's ``Runner.from_cfg`` and the mmseg tools read.
RUNNER_KEYS = frozenset({
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader',
    'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper',
    'param_scheduler', 'val_evaluator', 'test_evaluator', 'default_hooks',
    'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher',
    'env_cfg', 'log_processor', 'log_level', 'visualizer', 'default_scope',
    'randomness', 'experiment_name', 'cfg', 'custom_imports', 'model_wrapper_cfg',
    'compile', 'runner_type', 'vis_backends', 'tta_model', 'tta_pipeline',
    'find_unused_parameters', 'sync_bn', 'train_pipeline', 'test_pipeline'
})


def check_config_keys(cfg: Config, known: Iterable[str] = RUNNER_KEYS) -> None:
    """Raises ``KeyError`` for top-level keys that look like misspelt runner keys.

    Args:
        cfg (Config): a loaded config.
        known (Iterable[str]): the keys the runner reads.

    Raises:
        KeyError: naming the config file, the unknown key and the key it resembles.
    """
    known = set(known)
    problems: List[str] = []
    for key in cfg.keys():
        if key in known or key.startswith('_'):
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
        if close:
            problems.append(f'{key!r} (did you mean {close[0]!r}?)')
    if problems:
        raise KeyError(f'{cfg.filename}: unknown top-level config key(s) '
                       f'{", ".join(problems)}; the runner would ignore them.')
