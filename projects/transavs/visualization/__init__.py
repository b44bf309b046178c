"""Visualisation of clips and predictions."""
from .avs_visualizer import (
    AVSLocalVisualizer,
    class_style,
    draw_clip,
    draw_legend,
    is_semantic,
    legend_strip,
    overlay_labels,
    overlay_mask,
)

__all__ = [
    'AVSLocalVisualizer', 'class_style', 'draw_clip', 'draw_legend', 'is_semantic',
    'legend_strip', 'overlay_labels', 'overlay_mask'
]
