"""Replaces a clip's audio by silence: the audio-blind reference of an AVS model."""
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .negative_audio import silence_audio

__all__ = ['MuteAudio']


@TRANSFORMS.register_module()
class MuteAudio(BaseTransform):
    """Silences the clip: waveforms become zeros, log-mels the log-mel of silence.

    Put it after the audio loading in a test pipeline to measure how much a model relies on
    the audio with the ground truth kept (an ablation). For the negative-audio test, where
    nothing should be segmented, use :class:`~.negative_audio.SilenceAudio`, which also
    empties the ground truth. Silence through the VGGish frontend is ``log(0 + 0.01)`` in
    every bin (:func:`~.negative_audio.silence_audio`).

    Modified Keys (at least one must be present):

    - audio_wave (np.ndarray ``[S]``): zeros.
    - audio_log_mel (np.ndarray | torch.Tensor ``[T, 1, 96, 64]``): ``log(0.01)``.
    """

    def transform(self, results: dict) -> dict:
        return silence_audio(results, type(self).__name__)
