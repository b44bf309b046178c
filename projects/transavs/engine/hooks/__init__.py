"""Hooks."""
from .avs_checkpoint_hook import AVSCheckpointHook
from .avs_visualization_hook import AVSVisualizationHook, load_clip_frames
from .confidence_threshold_hook import ConfidenceThresholdHook, confidence_threshold

__all__ = [
    'AVSCheckpointHook', 'AVSVisualizationHook', 'load_clip_frames', 'ConfidenceThresholdHook',
    'confidence_threshold'
]
