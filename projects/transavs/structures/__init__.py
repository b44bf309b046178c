"""Data structures: the clip-level data sample and a frame's ground-truth instances."""
from .avs_data_sample import AVSDataSample
from .frame_instances import INSTANCE_MODES, binarize_labels, frame_instances

__all__ = ['AVSDataSample', 'INSTANCE_MODES', 'binarize_labels', 'frame_instances']
