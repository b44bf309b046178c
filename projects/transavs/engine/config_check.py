"""Catches misspelt top-level config keys before a run silently ignores them.

``Runner.from_cfg`` reads a fixed set of top-level keys and ignores every other one, so a
typo such as ``train_dataloder`` would train without the intended loader settings. Configs
also define their own helper variables (``crop_size``, ``wav_test_pipeline``,
``s4_train_dataloader`` ...), so an unknown key is only an error when it is a near miss of a
key the runner reads:

- it is one edit (insertion, deletion, substitution or swap of two neighbouring characters)
  away from a known key of at least 6 characters (``trian_cfg``, ``val_evalutor``,
  ``defualt_hooks``), or two edits away from a known key of at least 12 characters
  (``trian_dataloder``);
- and it does not contain a known key (of at least 6 characters) whole: names that merely
  extend a key (``s4_`` + ``train_dataloader``, ``wav_`` + ``test_pipeline``,
  ``train_pipeline`` + ``_fast``, ``test_pipeline2``) are helpers.

A helper variable that is still reported is silenced by starting its name with ``_``
(``_val_cgf = ...``): such names are never checked. mmengine keeps single-underscore
top-level names in the config (it drops only ``__`` names) and the runner ignores them, so the
variable can still be used in the config file.

:func:`check_component_options` checks the options of every hook (``default_hooks``,
``custom_hooks``) and evaluator metric (``val_evaluator``, ``test_evaluator``) against the
arguments its class takes, before anything is built: mmengine builds the evaluator only when
training starts and some hooks accept any keyword and fail at first use.
"""
import difflib
import inspect
from typing import Any, Iterable, Iterator, List, Optional, Tuple

from mmengine.config import Config
from mmseg.registry import HOOKS, METRICS

__all__ = ['RUNNER_KEYS', 'ConfigOptionError', 'check_component_options', 'check_config_keys',
           'near_miss']

#: Top-level keys that mmengine's ``Runner.from_cfg`` and the mmseg tools read
#: (``vis_backends`` is not one: the runner reads ``visualizer``, and mmseg's runtime configs
#: use ``vis_backends`` as a helper variable).
RUNNER_KEYS = frozenset({
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader',
    'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper',
    'param_scheduler', 'val_evaluator', 'test_evaluator', 'default_hooks',
    'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher',
    'env_cfg', 'log_processor', 'log_level', 'visualizer', 'default_scope',
    'randomness', 'experiment_name', 'cfg', 'custom_imports', 'model_wrapper_cfg',
    'compile', 'runner_type', 'tta_model', 'tta_pipeline',
    'find_unused_parameters', 'sync_bn', 'train_pipeline', 'test_pipeline',
    # AVSRunner: let load_from load a checkpoint that does not fit the model entirely.
    'load_from_partial'
})

#: Known keys shorter than this are ignored by the check (``mode`` is a fine helper name next
#: to ``model``, and every ``*_cfg`` contains ``cfg``).
_MIN_KEY_LEN = 6
#: Known keys at least this long also match at two edits.
_TWO_EDIT_KEY_LEN = 12


def _edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, swaps."""
    prev2: List[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def near_miss(key: str, known: Iterable[str] = RUNNER_KEYS) -> Optional[str]:
    """The known key that ``key`` looks like a misspelling of, if any.

    Args:
        key (str): A top-level config name that is not a known key.
        known (Iterable[str]): The keys the runner reads.

    Returns:
        str | None: The closest known key (ties: alphabetical), or None when ``key`` starts
        with ``_``, is or contains a known key of 6+ characters whole, or is not within one
        edit (two for known keys of 12+ characters) of such a key.
    """
    known = sorted(k for k in set(known) if len(k) >= _MIN_KEY_LEN)
    if key in known or key.startswith('_') or any(k in key for k in known):
        return None
    best, best_dist = None, None
    for candidate in known:
        limit = 2 if len(candidate) >= _TWO_EDIT_KEY_LEN else 1
        if abs(len(candidate) - len(key)) > limit:
            continue
        dist = _edit_distance(key, candidate)
        if dist <= limit and (best_dist is None or dist < best_dist):
            best, best_dist = candidate, dist
    return best


def check_config_keys(cfg: Config, known: Iterable[str] = RUNNER_KEYS) -> None:
    """Raises ``KeyError`` for top-level keys that look like misspelt runner keys.

    See the module docstring for what counts as a near miss; names starting with ``_`` are
    never reported.

    Args:
        cfg (Config): a loaded config.
        known (Iterable[str]): the keys the runner reads.

    Raises:
        KeyError: naming the config file, the unknown keys, the keys they resemble and how to
            keep a helper variable of that name.
    """
    known = set(known)
    problems: List[str] = []
    for key in cfg.keys():
        close = near_miss(key, known)
        if close:
            problems.append(f'{key!r} (did you mean {close!r}?)')
    if problems:
        raise KeyError(f'{cfg.filename}: unknown top-level config key(s) '
                       f'{", ".join(problems)}; the runner would ignore them. Fix the '
                       'spelling, or if it is a helper variable of the config, rename it or '
                       'start its name with "_" (e.g. "_name"), which the check skips.')


class ConfigOptionError(ValueError):
    """A hook or metric in the config has an option its class does not take."""


def _components(cfg: Config) -> Iterator[Tuple[str, Any, Any]]:
    """``(config key, registry, component config)`` for each hook and metric config."""
    for name, hook in (cfg.get('default_hooks') or {}).items():
        yield f'default_hooks.{name}', HOOKS, hook
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        yield f'custom_hooks[{i}]', HOOKS, hook
    for key in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(key)
        if isinstance(evaluator, dict) and 'metrics' in evaluator:
            key, evaluator = f'{key}.metrics', evaluator['metrics']
        if isinstance(evaluator, (list, tuple)):
            for i, metric in enumerate(evaluator):
                yield f'{key}[{i}]', METRICS, metric
        elif evaluator is not None:
            yield key, METRICS, evaluator


def check_component_options(cfg: Config) -> None:
    """Refuses hook and metric options that their classes do not take, naming the config key.

    A class whose ``__init__`` takes ``**kwargs`` is not checked here (it checks its own, as
    ``AVSCheckpointHook`` does, or passes them on); an unknown ``type`` is left to the
    registry's own error.

    Raises:
        ConfigOptionError: naming the config file, each key and option, the closest option
            the class takes, and the options it takes.
    """
    problems: List[str] = []
    for key, registry, component in _components(cfg):
        if not isinstance(component, dict) or 'type' not in component:
            continue
        kind = component['type']
        cls = kind if inspect.isclass(kind) else registry.get(kind)
        if cls is None:
            continue
        params = inspect.signature(cls.__init__).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            continue
        known = [name for name in params if name != 'self']
        allowed = set(known) | {'type'} | ({'priority'} if registry is HOOKS else set())
        for option in component:
            if option in allowed:
                continue
            close = difflib.get_close_matches(option, known, n=1)
            hint = f' (did you mean {close[0]!r}?)' if close else ''
            problems.append(f'{key}.{option}: {cls.__name__} has no option {option!r}{hint}; '
                            f'it takes {", ".join(known) or "none"}')
    if problems:
        raise ConfigOptionError(f'{cfg.filename}: ' + '; '.join(problems))
