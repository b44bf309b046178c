"""Data structures: the clip-level data sample."""
from .avs_data_sample import AVSDataSample

__all__ = ['AVSDataSample']
