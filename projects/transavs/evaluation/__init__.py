"""AVSBench evaluation: the official J and F metrics."""
from .functional import (dataset_fscore, frame_fscore_curves, frame_jaccard,
                         fscore_thresholds, official_fscore)

__all__ = [
    'dataset_fscore', 'frame_fscore_curves', 'frame_jaccard', 'fscore_thresholds',
    'official_fscore'
]
