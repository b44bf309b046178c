"""AVSBench evaluation: the official J and F metrics (binary) and mIoU and F (semantic), in a
runner or on folders of PNGs."""
from .avs_metric import AVSMetric
from .avss_metric import AVSSMetric
from .clip_scores import score_frames, summarize_clips
from .functional import (
    dataset_fscore,
    frame_fscore_curves,
    frame_jaccard,
    fscore_thresholds,
    official_fscore,
)
from .mask_folders import evaluate_mask_folders, find_clips
from .mask_io import (
    decode_prob_png,
    encode_prob_png,
    read_mask_png,
    read_palette_png,
    read_prob_png,
    write_palette_png,
    write_prob_png,
)
from .object_recall import query_predictions, recalled_objects
from .semantic_mask_folders import evaluate_semantic_folders, find_semantic_labels
from .semantic_scores import class_table, frame_class_stats, summarize_classes

__all__ = [
    'query_predictions', 'recalled_objects',
    'AVSMetric', 'AVSSMetric', 'class_table', 'dataset_fscore', 'decode_prob_png',
    'encode_prob_png', 'evaluate_mask_folders', 'evaluate_semantic_folders', 'find_clips',
    'find_semantic_labels', 'frame_class_stats', 'frame_fscore_curves', 'frame_jaccard',
    'fscore_thresholds', 'official_fscore', 'read_mask_png', 'read_palette_png',
    'read_prob_png', 'score_frames', 'summarize_classes', 'summarize_clips',
    'write_palette_png', 'write_prob_png'
]
