"""Packing a clip into model inputs and an :class:`AVSDataSample`."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmseg.registry import TRANSFORMS

from ...structures import AVSDataSample
from .negative_audio import NEGATIVE_CONDITIONS

__all__ = ['PackAVSInputs', 'pack_instance_targets']

_AUDIO_SHAPE = '[T, 1, 96, 64]'  # audio_log_mel, the one audio input of the model

#: How the instances were made (``ClipInstanceTargets``), for the model to check.
INSTANCE_META_KEYS = ('instance_mode', 'instance_num_classes')
_DEFAULT_META_KEYS = ('sample_idx', 'video_name', 'category', 'subset', 'split', 'num_frames',
                      'gt_valid', 'frame_padded', 'frame_paths', 'mask_paths', 'mask_rel_paths',
                      'audio_path', 'audio_condition', 'audio_source', 'instance_mode',
                      'instance_num_classes', 'ori_shape', 'img_shape', 'flip', 'flip_direction')


def _to_tensor(value, key: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    raise TypeError(f'PackAVSInputs: results[{key!r}] must be a numpy array or a torch tensor, '
                    f'got {type(value).__name__}')


def pack_instance_targets(results: dict, data_sample: AVSDataSample, shape) -> None:
    """Puts :class:`ClipInstanceTargets`' ``gt_instance_map`` / ``gt_instance_labels`` into a
    data sample (``PixelData`` of uint8 ``[T, H, W]`` and a long ``[T, M]`` tensor field).

    Args:
        results (dict): the clip's results, with both keys.
        data_sample (AVSDataSample): updated in place (also its ``instance_mode`` and
            ``instance_num_classes`` metainfo).
        shape (tuple): the clip's ``(T, H, W)``.

    Raises:
        KeyError, ValueError: a key is missing, the shapes do not match the frames, or a clip
            with negative audio has instances.
    """
    if 'gt_instance_map' not in results or 'gt_instance_labels' not in results:
        raise KeyError('PackAVSInputs: results has only one of gt_instance_map and '
                       'gt_instance_labels; ClipInstanceTargets sets both')
    instance_map = _to_tensor(results['gt_instance_map'], 'gt_instance_map')
    instance_labels = _to_tensor(results['gt_instance_labels'], 'gt_instance_labels').long()
    if tuple(instance_map.shape) != tuple(shape) or instance_labels.dim() != 2 or \
            instance_labels.shape[0] != shape[0]:
        raise ValueError(f'PackAVSInputs: gt_instance_map {tuple(instance_map.shape)} / '
                         f'gt_instance_labels {tuple(instance_labels.shape)} do not match '
                         f'the frames {tuple(shape)} ([T, H, W] and [T, M]): put '
                         'ClipInstanceTargets after every step that resizes or crops')
    condition = results.get('audio_condition')
    # negative audio: the background may be an instance, a sounding class (> 0) may not
    if condition in NEGATIVE_CONDITIONS and bool((instance_labels > 0).any()):
        raise ValueError(f'PackAVSInputs: clip {results.get("video_name")!r} has negative '
                         f'audio ({condition!r}) but sounding ground-truth instances: put '
                         'ClipInstanceTargets after the negative-audio transform')
    data_sample.gt_instance_map = PixelData(data=instance_map.to(torch.uint8))
    data_sample.gt_instance_labels = instance_labels
    data_sample.set_metainfo({key: results[key] for key in INSTANCE_META_KEYS if key in results})


@TRANSFORMS.register_module()
class PackAVSInputs(BaseTransform):
    """Packs a clip for the segmentor: an ``inputs`` dict and an ``AVSDataSample``.

    Required Keys:

    - frames (np.uint8 ``[T, H, W, 3]``).
    - audio_log_mel (``[T_a, 1, 96, 64]``): ``T_a`` seconds of VGGish examples (from
      :class:`LoadAudioLogMel` or :class:`WaveformToLogMel`).
    - frame_seconds (``[T]`` ints, optional): the audio second of each frame, when the frames
      are not one per second of audio (e.g. ``inference_avs`` with ``frame_times``).
    - gt_masks (``[T, H, W]``, optional).
    - gt_instance_map (``[T, H, W]``) and gt_instance_labels (``[T, M]``), optional: from
      :class:`ClipInstanceTargets`.
    - audio_condition (str, optional): set by the negative-audio transforms; for a negative
      condition ``gt_masks`` (and ``gt_instance_labels``) must be empty (the transform ran
      after the masks were loaded).

    Added Keys:

    - inputs (dict): ``frames`` (torch.uint8 ``[T, 3, H, W]``), ``audio_log_mel`` (torch
      float) and, when given, ``frame_seconds`` (torch.long ``[T]``).
    - data_samples (:class:`AVSDataSample`): ``gt_sem_seg`` = ``PixelData(data=torch.uint8
      [T, H, W])`` when ``gt_masks`` exists, ``gt_instance_map`` (``PixelData`` of uint8
      ``[T, H, W]``) and ``gt_instance_labels`` (torch.long ``[T, M]``) when given, the
      ``meta_keys`` found in ``results`` as meta information (missing keys are skipped).

    Args:
        meta_keys (Sequence[str]): Keys copied into the data sample's metainfo. Defaults to
            sample_idx, video_name, category, subset, split, num_frames, gt_valid,
            frame_padded, frame_paths, mask_paths, mask_rel_paths, audio_path,
            audio_condition, audio_source, instance_mode, instance_num_classes, ori_shape,
            img_shape, flip, flip_direction.
    """

    def __init__(self, meta_keys: Sequence[str] = _DEFAULT_META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        if 'frames' not in results:
            raise KeyError('PackAVSInputs: results has no "frames"; put LoadClipFrames in the '
                           'pipeline')
        frames = _to_tensor(results['frames'], 'frames')  # [T, H, W, 3]
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError('PackAVSInputs: results["frames"] must be [T, H, W, 3], got '
                             f'{tuple(frames.shape)}')
        inputs = dict(frames=frames.permute(0, 3, 1, 2).contiguous())  # [T, 3, H, W]
        if 'audio_log_mel' not in results:
            hint = (' (results has audio_wave: add WaveformToLogMel after the waveform loader)'
                    if 'audio_wave' in results else '')
            raise KeyError(f'PackAVSInputs: results has no audio_log_mel {_AUDIO_SHAPE}{hint}; '
                           'add LoadAudioLogMel, or LoadAudioWaveform and WaveformToLogMel')
        inputs['audio_log_mel'] = _to_tensor(results['audio_log_mel'], 'audio_log_mel')
        if 'frame_seconds' in results:
            inputs['frame_seconds'] = self._frame_seconds(results['frame_seconds'],
                                                          frames.shape[0])

        data_sample = AVSDataSample()
        if 'gt_masks' in results:
            masks = _to_tensor(results['gt_masks'], 'gt_masks').to(torch.uint8)  # [T, H, W]
            if tuple(masks.shape) != (frames.shape[0], ) + tuple(frames.shape[1:3]):
                raise ValueError(f'PackAVSInputs: gt_masks {tuple(masks.shape)} does not match '
                                 f'frames {tuple(frames.shape)} ([T, H, W] vs [T, H, W, 3])')
            condition = results.get('audio_condition')
            if condition in NEGATIVE_CONDITIONS and bool(masks.any()):
                raise ValueError(f'PackAVSInputs: clip {results.get("video_name")!r} has negative '
                                 f'audio ({condition!r}) but a non-empty gt_masks: the '
                                 'negative-audio transform ran before the masks were loaded; '
                                 'put it after LoadClipMasks / LoadClipSemanticLabels (and '
                                 'the audio loading)')
            data_sample.gt_sem_seg = PixelData(data=masks)
        if 'gt_instance_map' in results or 'gt_instance_labels' in results:
            pack_instance_targets(results, data_sample, frames.shape[:3])
        data_sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=data_sample)

    @staticmethod
    def _frame_seconds(value, num_frames: int) -> torch.Tensor:
        """``results['frame_seconds']`` as torch.long ``[T]``, checked against ``T`` frames."""
        seconds = torch.as_tensor(np.asarray(value))
        if seconds.shape != (num_frames, ) or seconds.is_floating_point() or \
                seconds.dtype == torch.bool or (seconds < 0).any():
            raise ValueError(f'PackAVSInputs: results["frame_seconds"] is {value!r}; expected '
                             f'one non-negative int per frame ([{num_frames}]), the second of '
                             'audio each frame belongs to')
        return seconds.long()

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
