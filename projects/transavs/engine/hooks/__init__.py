"""Hooks."""
from .confidence_threshold_hook import ConfidenceThresholdHook, confidence_threshold

__all__ = ['ConfidenceThresholdHook', 'confidence_threshold']
