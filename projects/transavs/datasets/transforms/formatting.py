"""Packing a clip into model inputs and an :class:`AVSDataSample`."""
import hashlib
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmseg.registry import TRANSFORMS

from ...structures import AVSDataSample

__all__ = ['PackAVSInputs', 'audio_fingerprint']

# Audio representations a pipeline may produce, with their expected shapes (for messages).
_AUDIO_KEYS = dict(audio_log_mel='[T, 1, 96, 64]', audio_wave='[S]', audio_embed='[T, 128]')

_DEFAULT_META_KEYS = ('sample_idx', 'video_name', 'category', 'subset', 'split', 'num_frames',
                      'gt_valid', 'frame_paths', 'mask_paths', 'mask_rel_paths', 'audio_path',
                      'ori_shape', 'img_shape', 'flip', 'flip_direction')


def audio_fingerprint(inputs: dict) -> str:
    """A content hash of a clip's audio input (the key of the model's embedding cache).

    Computed here, on the CPU in the data workers, so the model can look up cached audio
    embeddings without synchronising with the device; different audio (e.g. silenced by
    ``MuteAudio``) gives a different key.
    """
    digest = hashlib.blake2b(digest_size=16)
    for key in _AUDIO_KEYS:
        if key in inputs:
            tensor = inputs[key].contiguous()
            digest.update(f'{key}{tuple(tensor.shape)}{tensor.dtype}'.encode())
            digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def _to_tensor(value, key: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    raise TypeError(f'PackAVSInputs: results[{key!r}] must be a numpy array or a torch tensor, '
                    f'got {type(value).__name__}')


@TRANSFORMS.register_module()
class PackAVSInputs(BaseTransform):
    """Packs a clip for the segmentor: an ``inputs`` dict and an ``AVSDataSample``.

    Required Keys:

    - frames (np.uint8 ``[T, H, W, 3]``).
    - at least one of audio_log_mel (``[T, 1, 96, 64]``), audio_wave (``[S]``),
      audio_embed (``[T, 128]``).
    - gt_masks (``[T, H, W]``, optional).

    Added Keys:

    - inputs (dict): ``frames`` (torch.uint8 ``[T, 3, H, W]``) plus every audio key present,
      as torch tensors.
    - data_samples (:class:`AVSDataSample`): ``gt_sem_seg`` = ``PixelData(data=torch.uint8
      [T, H, W])`` when ``gt_masks`` exists, the ``meta_keys`` found in ``results`` as
      meta information (missing keys are skipped) and ``audio_hash``, a content hash of the
      audio input (:func:`audio_fingerprint`, the key of the model's embedding cache).

    Args:
        meta_keys (Sequence[str]): Keys copied into the data sample's metainfo. Defaults to
            sample_idx, video_name, category, subset, split, num_frames, gt_valid,
            frame_paths, mask_paths, mask_rel_paths, audio_path, ori_shape, img_shape, flip,
            flip_direction.
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
        for key in _AUDIO_KEYS:
            if key in results:
                inputs[key] = _to_tensor(results[key], key)
        if len(inputs) == 1:
            expected = ', '.join(f'{k} {s}' for k, s in _AUDIO_KEYS.items())
            raise KeyError('PackAVSInputs: results has no audio; expected one of '
                           f'{expected} (add LoadAudioLogMel or LoadAudioWaveform)')

        data_sample = AVSDataSample()
        if 'gt_masks' in results:
            masks = _to_tensor(results['gt_masks'], 'gt_masks').to(torch.uint8)  # [T, H, W]
            if tuple(masks.shape) != (frames.shape[0], ) + tuple(frames.shape[1:3]):
                raise ValueError(f'PackAVSInputs: gt_masks {tuple(masks.shape)} does not match '
                                 f'frames {tuple(frames.shape)} ([T, H, W] vs [T, H, W, 3])')
            data_sample.gt_sem_seg = PixelData(data=masks)
        data_sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        data_sample.set_metainfo(dict(audio_hash=audio_fingerprint(inputs)))
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
