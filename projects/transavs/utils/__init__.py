"""Small shared helpers."""
from .disk_space import DiskFullError, explain_disk_full, is_disk_full
from .natural_sort import natural_key

__all__ = ['natural_key', 'DiskFullError', 'explain_disk_full', 'is_disk_full']
