"""Small shared helpers."""
from .natural_sort import natural_key

__all__ = ['natural_key']
