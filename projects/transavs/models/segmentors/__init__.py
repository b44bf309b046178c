"""Segmentors."""
from .transavs import COMPILE_MODES, TransAVS

__all__ = ['COMPILE_MODES', 'TransAVS']
