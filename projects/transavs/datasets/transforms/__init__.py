"""Clip transforms: frames, masks, audio (VGGish frontend), augmentation, packing."""
__all__ = []
