"""Hooks."""
from .avs_checkpoint_hook import AVSCheckpointHook
from .avs_visualization_hook import AVSVisualizationHook, load_clip_frames
from .class_count_hook import ClassCountCheckHook, class_count_mismatch
from .confidence_threshold_hook import ConfidenceThresholdHook, confidence_threshold
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook, batch_clip_names
from .stop_signal_hook import StopSignalHook, TrainingInterrupted

__all__ = [
    'AVSCheckpointHook', 'AVSVisualizationHook', 'load_clip_frames', 'ConfidenceThresholdHook',
    'confidence_threshold', 'NonFiniteLossError', 'NonFiniteLossHook', 'batch_clip_names',
    'ClassCountCheckHook', 'class_count_mismatch', 'StopSignalHook', 'TrainingInterrupted'
]
