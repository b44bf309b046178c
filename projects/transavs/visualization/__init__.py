"""Visualisation of clips and predictions."""
from .avs_visualizer import AVSLocalVisualizer, draw_clip, overlay_mask

__all__ = ['AVSLocalVisualizer', 'draw_clip', 'overlay_mask']
