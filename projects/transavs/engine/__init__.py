"""Runner helpers: restricted checkpoint loading, crash-safe saving, CPU distributed runs,
config checks, hooks."""
from .atomic_local_backend import (
                                   AtomicLocalBackend,
                                   atomic_write_bytes,
                                   register_atomic_local_backend,
)
from .config_check import RUNNER_KEYS, check_config_keys
from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper
from .distributed import CPUDistributedDataParallel, prepare_distributed_config
from .hooks import ConfidenceThresholdHook, confidence_threshold
from .run_config import load_run_config
from .safe_checkpoint import (
                                   UnsafeCheckpointError,
                                   checkpoint_safe_globals,
                                   register_checkpoint_safe_globals,
                                   safe_torch_load,
)

__all__ = [
    'AtomicLocalBackend', 'atomic_write_bytes', 'register_atomic_local_backend',
    'CPUAmpOptimWrapper', 'ConfidenceThresholdHook', 'confidence_threshold', 'RUNNER_KEYS',
    'check_config_keys', 'CPUDistributedDataParallel', 'prepare_distributed_config',
    'load_run_config', 'UnsafeCheckpointError', 'checkpoint_safe_globals',
    'register_checkpoint_safe_globals', 'safe_torch_load'
]
