"""Model utilities."""
from .optional_pretrained import checkpoint_available, drop_unavailable_pretrained

__all__ = ['checkpoint_available', 'drop_unavailable_pretrained']
