"""Model utilities."""
from .optional_pretrained import checkpoint_available, drop_unavailable_pretrained
from .pvt_v2_convert import convert_pvt_v2_to_mmseg
from .resample import resample_to_stride

__all__ = ['checkpoint_available', 'drop_unavailable_pretrained', 'convert_pvt_v2_to_mmseg',
           'resample_to_stride']
