"""Stacks clips, normalises their frames and checks their audio against them."""
from numbers import Number
from typing import Dict, List, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from mmseg.registry import MODELS
from torch import Tensor

__all__ = ['AVSDataPreprocessor']


@MODELS.register_module()
class AVSDataPreprocessor(BaseDataPreprocessor):
    """Batches clips for :class:`TransAVS`.

    Input (from ``PackAVSInputs`` + ``pseudo_collate``): ``data['inputs']`` is a dict of
    per-clip lists: ``frames`` (uint8 ``[T, 3, H, W]``, RGB), ``audio_log_mel``
    (``[T_a, 1, 96, 64]``, VGGish examples from the pipeline) and optionally
    ``frame_seconds`` (long ``[T]``, each frame's second of audio). Output ``inputs``:
    ``frames`` float ``[B, T, 3, H, W]`` normalised, ``audio_log_mel``
    ``[B, T_a, 1, 96, 64]`` and, when given, ``frame_seconds`` ``[B, T]``; without it there
    must be one frame per second of audio (``T_a == T``).

    Args:
        mean (Sequence[Number]): RGB mean. Defaults to ImageNet's.
        std (Sequence[Number]): RGB std. Defaults to ImageNet's.
        non_blocking (bool): non-blocking host-to-device copies.
    """

    def __init__(self,
                 mean: Sequence[Number] = (123.675, 116.28, 103.53),
                 std: Sequence[Number] = (58.395, 57.12, 57.375),
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 1, 3, 1, 1),
                             persistent=False)

    @staticmethod
    def _stack(items: Union[Tensor, List[Tensor]], key: str) -> Tensor:
        if isinstance(items, Tensor):
            return items
        shapes = {tuple(t.shape) for t in items}
        if len(shapes) != 1:
            raise ValueError(f'inputs[{key!r}]: clips of one batch must have one shape, got '
                             f'{sorted(shapes)} (resize frames to a common scale in the '
                             'pipeline)')
        return torch.stack(list(items))

    def forward(self, data: dict, training: bool = False) -> Dict[str, object]:
        """Stacks, normalises and moves a batch to the model's device.

        Args:
            data (dict): ``inputs`` and ``data_samples`` from the dataloader.
            training (bool): unused (no batch augmentation).

        Returns:
            dict: ``inputs`` (dict of batched tensors) and ``data_samples``.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        if not isinstance(inputs, dict) or 'frames' not in inputs:
            raise KeyError("AVSDataPreprocessor expects data['inputs'] to be a dict with "
                           "'frames' and an audio entry (use PackAVSInputs)")
        frames = self._stack(inputs['frames'], 'frames')  # [B, T, 3, H, W]
        if frames.dim() != 5 or frames.shape[2] != 3:
            raise ValueError(f"inputs['frames'] must be [B, T, 3, H, W], got "
                             f'{tuple(frames.shape)}')
        frames = (frames.float() - self.mean) / self.std
        out = dict(frames=frames)
        if 'audio_log_mel' not in inputs:
            raise KeyError("AVSDataPreprocessor: no audio in inputs; expected 'audio_log_mel' "
                           '(per clip [T, 1, 96, 64], from PackAVSInputs)')
        log_mel = self._stack(inputs['audio_log_mel'], 'audio_log_mel').float()
        if log_mel.dim() != 5 or tuple(log_mel.shape[2:]) != (1, 96, 64):
            raise ValueError("inputs['audio_log_mel'] must be [B, T, 1, 96, 64], got "
                             f'{tuple(log_mel.shape)}')
        out['audio_log_mel'] = log_mel  # [B, T_a, 1, 96, 64]
        if 'frame_seconds' in inputs:  # frames at other times than one per second
            seconds = self._stack(inputs['frame_seconds'], 'frame_seconds').long()
            if seconds.shape != frames.shape[:2] or seconds.min() < 0 or \
                    seconds.max() >= log_mel.shape[1]:
                raise ValueError(f"inputs['frame_seconds'] must be [B, T_f] = "
                                 f'{tuple(frames.shape[:2])} indices below {log_mel.shape[1]}')
            out['frame_seconds'] = seconds
        elif log_mel.shape[:2] != frames.shape[:2]:
            raise ValueError(f'audio of {tuple(log_mel.shape[:2])} (clips, seconds) for frames '
                             f'{tuple(frames.shape[:2])}: one frame per second of audio '
                             "expected (or give inputs['frame_seconds'])")
        return dict(inputs=out, data_samples=data.get('data_samples'))
