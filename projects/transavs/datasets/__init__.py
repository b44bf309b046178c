"""AVSBench datasets and their transforms."""
from .avsbench import AVSBenchDataset
from .avsbench_ms3 import AVSBenchMS3Dataset
from .avsbench_s4 import AVSBenchS4Dataset
from .avsbench_semantic import AVSBenchSemanticDataset
from .safe_pickle import UnsafePickleError, load_tensor_pickle
from .transforms import *  # noqa: F401,F403

__all__ = [
    'AVSBenchDataset', 'AVSBenchS4Dataset', 'AVSBenchMS3Dataset', 'AVSBenchSemanticDataset',
    'load_tensor_pickle', 'UnsafePickleError'
]
