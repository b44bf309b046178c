"""Model utilities."""
from .pretrained_files import PRETRAINED_SOURCES, check_pretrained_files, missing_pretrained_files
from .pvt_v2_convert import convert_pvt_v2_to_mmseg
from .resample import resample_to_stride

__all__ = ['PRETRAINED_SOURCES', 'check_pretrained_files', 'missing_pretrained_files',
           'convert_pvt_v2_to_mmseg', 'resample_to_stride']
