"""Segmentors."""
from .transavs import TransAVS

__all__ = ['TransAVS']
