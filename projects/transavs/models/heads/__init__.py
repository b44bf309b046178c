"""Heads."""
from .audio_query_head import AudioQueryHead

__all__ = ['AudioQueryHead']
