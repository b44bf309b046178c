"""Necks (pixel decoders)."""
from .avs_pixel_decoder import AVSPixelDecoder

__all__ = ['AVSPixelDecoder']
