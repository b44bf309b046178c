"""AVSBench evaluation: the official J and F metrics, in a runner or on folders of PNGs."""
from .avs_metric import AVSMetric
from .clip_scores import score_frames, summarize_clips
from .functional import (
    dataset_fscore,
    frame_fscore_curves,
    frame_jaccard,
    fscore_thresholds,
    official_fscore,
)
from .mask_folders import evaluate_mask_folders, find_clips
from .mask_io import decode_prob_png, encode_prob_png, read_mask_png, read_prob_png, write_prob_png

__all__ = [
    'AVSMetric', 'dataset_fscore', 'decode_prob_png', 'encode_prob_png', 'evaluate_mask_folders',
    'find_clips', 'frame_fscore_curves', 'frame_jaccard', 'fscore_thresholds', 'official_fscore',
    'read_mask_png', 'read_prob_png', 'score_frames', 'summarize_clips', 'write_prob_png'
]
