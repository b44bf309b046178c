"""Replaces a clip's audio by silence: the audio-blind reference of an AVS model."""
import math

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .vggish_frontend import LOG_OFFSET

__all__ = ['MuteAudio']


@TRANSFORMS.register_module()
class MuteAudio(BaseTransform):
    """Silences the clip: waveforms become zeros, log-mels the log-mel of silence.

    Put it after the audio loading in a test pipeline to measure how much a model relies on
    the audio (``make demo`` reports this "audio zeroed" reference). Silence through the
    VGGish frontend is ``log(0 + 0.01)`` in every bin.

    Modified Keys (at least one must be present):

    - audio_wave (np.ndarray ``[S]``): zeros.
    - audio_log_mel (np.ndarray | torch.Tensor ``[T, 1, 96, 64]``): ``log(0.01)``.
    """

    def transform(self, results: dict) -> dict:
        found = False
        if 'audio_wave' in results:
            results['audio_wave'] = np.zeros_like(results['audio_wave'])
            found = True
        if 'audio_log_mel' in results:
            log_mel = results['audio_log_mel']
            silence = math.log(LOG_OFFSET)
            results['audio_log_mel'] = (torch.full_like(log_mel, silence) if isinstance(
                log_mel, torch.Tensor) else np.full_like(log_mel, silence))
            found = True
        if not found:
            raise KeyError('MuteAudio: no audio_wave or audio_log_mel in the results; put it '
                           'after the audio loading transforms')
        return results
