"""Runner helpers: restricted checkpoint loading, crash-safe saving, CPU distributed runs,
config checks, hooks, the negative-audio robustness test loop, checkpoint publishing."""
from .atomic_local_backend import (
                                   ATOMIC_LOCAL_BACKEND,
                                   AtomicLocalBackend,
                                   atomic_write_bytes,
                                   register_atomic_local_backend,
                                   remove_orphan_temporaries,
)
from .avs_runner import AVSRunner
from .config_check import RUNNER_KEYS, ConfigOptionError, check_component_options, check_config_keys
from .config_file import base_referrer, read_config
from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper
from .distributed import CPUDistributedDataParallel, prepare_distributed_config
from .hooks import (
                                   AVSCheckpointHook,
                                   ConfidenceThresholdHook,
                                   NonFiniteLossError,
                                   NonFiniteLossHook,
                                   StopSignalHook,
                                   TrainingInterrupted,
                                   confidence_threshold,
)
from .publish import plain_meta, publish_checkpoint, published_name
from .robustness_loop import RobustnessTestLoop, negative_loader_cfg
from .run_config import build_runner, close_distributed, load_run_config, parse_run_args
from .safe_checkpoint import (
                                   CheckpointMismatchError,
                                   CorruptCheckpointError,
                                   NonFiniteCheckpointError,
                                   UnsafeCheckpointError,
                                   checkpoint_safe_globals,
                                   load_checkpoint_file,
                                   load_checkpoint_to_model,
                                   load_state_dict_checked,
                                   non_finite_keys,
                                   safe_torch_load,
)
from .worker_failure import DataLoaderWorkerDied, explain_worker_death

__all__ = [
    'ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'atomic_write_bytes',
    'register_atomic_local_backend', 'remove_orphan_temporaries', 'AVSRunner',
    'AVSCheckpointHook', 'CPUAmpOptimWrapper',
    'ConfidenceThresholdHook', 'confidence_threshold', 'NonFiniteLossError',
    'NonFiniteLossHook', 'StopSignalHook', 'TrainingInterrupted', 'RUNNER_KEYS',
    'check_config_keys', 'ConfigOptionError', 'check_component_options', 'base_referrer',
    'read_config',
    'CPUDistributedDataParallel', 'prepare_distributed_config', 'build_runner',
    'close_distributed',
    'load_run_config', 'parse_run_args', 'RobustnessTestLoop', 'negative_loader_cfg',
    'UnsafeCheckpointError', 'CorruptCheckpointError',
    'CheckpointMismatchError', 'NonFiniteCheckpointError', 'non_finite_keys',
    'checkpoint_safe_globals', 'load_state_dict_checked',
    'load_checkpoint_file', 'load_checkpoint_to_model', 'safe_torch_load',
    'plain_meta', 'publish_checkpoint', 'published_name', 'DataLoaderWorkerDied',
    'explain_worker_death'
]
