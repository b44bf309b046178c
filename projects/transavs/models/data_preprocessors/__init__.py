"""Data preprocessors."""
from .avs_data_preprocessor import AVSDataPreprocessor

__all__ = ['AVSDataPreprocessor']
