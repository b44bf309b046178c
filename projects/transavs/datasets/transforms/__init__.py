"""Clip transforms: frames, masks, audio (VGGish frontend), negative audio, augmentation,
ground-truth instances, packing."""
from .audio import LoadAudioFromNDArray, LoadAudioLogMel, LoadAudioWaveform, WaveformToLogMel
from .augmentation import ClipPhotoMetricDistortion, ClipRandomFlip, ClipRandomResizedCrop
from .formatting import PackAVSInputs, pack_instance_targets
from .instance_targets import NO_INSTANCE, ClipInstanceTargets
from .loading import (
    LoadClipFrames,
    LoadClipFramesFromNDArray,
    LoadClipMasks,
    LoadClipSemanticLabels,
    read_image,
    resize_image,
)
from .mute_audio import MuteAudio
from .negative_audio import (
    AUDIO_STEPS,
    FALLBACK_RMS,
    LOG_MEL_STEPS,
    NEGATIVE_CONDITIONS,
    NOISE_COLORS,
    POSITIVE_CONDITION,
    NegativeAudio,
    NoiseAudio,
    OffScreenAudio,
    RandomNegativeAudio,
    SilenceAudio,
    clip_key,
    clip_rng,
    colored_noise,
    insert_negative_audio,
    negative_audio_transform,
    silence_audio,
)
from .vggish_frontend import (
    log_mel_examples,
    log_mel_range,
    pad_or_crop_examples,
    vggish_mel_matrix,
    waveform_to_examples,
)

__all__ = [
    'LoadClipFrames', 'LoadClipFramesFromNDArray', 'LoadClipMasks', 'LoadClipSemanticLabels',
    'resize_image', 'ClipRandomFlip',
    'ClipRandomResizedCrop', 'ClipPhotoMetricDistortion', 'ClipInstanceTargets', 'NO_INSTANCE',
    'PackAVSInputs', 'pack_instance_targets', 'LoadAudioWaveform',
    'LoadAudioFromNDArray', 'WaveformToLogMel', 'LoadAudioLogMel', 'MuteAudio',
    'waveform_to_examples', 'log_mel_examples', 'log_mel_range', 'vggish_mel_matrix',
    'pad_or_crop_examples',
    'read_image', 'NEGATIVE_CONDITIONS', 'POSITIVE_CONDITION', 'NOISE_COLORS', 'AUDIO_STEPS',
    'LOG_MEL_STEPS', 'FALLBACK_RMS',
    'NegativeAudio', 'SilenceAudio', 'NoiseAudio', 'OffScreenAudio', 'RandomNegativeAudio',
    'silence_audio', 'colored_noise', 'clip_key', 'clip_rng', 'insert_negative_audio',
    'negative_audio_transform'
]
