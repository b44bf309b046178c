"""Stacks clips and normalises frames; turns waveforms into VGGish log-mels on the device."""
from numbers import Number
from typing import Dict, List, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from mmseg.registry import MODELS
from torch import Tensor

__all__ = ['AVSDataPreprocessor']

AUDIO_KEYS = ('audio_embed', 'audio_log_mel', 'audio_wave')


@MODELS.register_module()
class AVSDataPreprocessor(BaseDataPreprocessor):
    """Batches clips for :class:`TransAVS`.

    Input (from ``PackAVSInputs`` + ``pseudo_collate``): ``data['inputs']`` is a dict of
    per-clip lists: ``frames`` (uint8 ``[T, 3, H, W]``, RGB) and one audio entry:
    ``audio_log_mel`` (``[T, 1, 96, 64]``), ``audio_embed`` (``[T, 128]``) or ``audio_wave``
    (``[S]`` at 16 kHz). Output ``inputs``: ``frames`` float ``[B, T, 3, H, W]`` normalised,
    and ``audio_log_mel`` ``[B, T, 1, 96, 64]`` (waveforms are converted here, on the
    device, with the VGGish frontend) or ``audio_embed`` ``[B, T, 128]``.

    Args:
        mean (Sequence[Number]): RGB mean. Defaults to ImageNet's.
        std (Sequence[Number]): RGB std. Defaults to ImageNet's.
        wave_pad_mode (str): how waveform log-mels are padded to ``T`` examples
            (``'repeat'`` as AVSBench v1, ``'zeros'`` as v2). Defaults to ``'repeat'``.
        non_blocking (bool): non-blocking host-to-device copies.
    """

    def __init__(self,
                 mean: Sequence[Number] = (123.675, 116.28, 103.53),
                 std: Sequence[Number] = (58.395, 57.12, 57.375),
                 wave_pad_mode: str = 'repeat',
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 1, 3, 1, 1),
                             persistent=False)
        self.wave_pad_mode = wave_pad_mode

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
        present = [k for k in AUDIO_KEYS if k in inputs]
        if not present:
            raise KeyError(f"AVSDataPreprocessor: no audio in inputs; expected one of "
                           f'{AUDIO_KEYS}')
        key = present[0]
        if key == 'audio_wave':
            num_seconds = frames.shape[1]
            if 'frame_seconds' in inputs:
                num_seconds = int(max(int(torch.as_tensor(s).max())
                                      for s in inputs['frame_seconds'])) + 1
            out['audio_log_mel'] = self._waves_to_log_mel(inputs[key], num_seconds)
        else:
            out[key] = self._stack(inputs[key], key).float()
        audio_shape = out.get('audio_log_mel', out.get('audio_embed')).shape
        if 'frame_seconds' in inputs:  # frames at other times than one per second
            seconds = self._stack(inputs['frame_seconds'], 'frame_seconds').long()
            if seconds.shape != frames.shape[:2] or seconds.min() < 0 or \
                    seconds.max() >= audio_shape[1]:
                raise ValueError(f"inputs['frame_seconds'] must be [B, T_f] = "
                                 f'{tuple(frames.shape[:2])} indices below {audio_shape[1]}')
            out['frame_seconds'] = seconds
        elif audio_shape[:2] != frames.shape[:2]:
            raise ValueError(f'audio of {tuple(audio_shape[:2])} (clips, seconds) for frames '
                             f'{tuple(frames.shape[:2])}: one frame per second of audio '
                             "expected (or give inputs['frame_seconds'])")
        return dict(inputs=out, data_samples=data.get('data_samples'))

    def _waves_to_log_mel(self, waves: Union[Tensor, List[Tensor]],
                          num_frames: int) -> Tensor:
        """``[S]`` waveforms (16 kHz) -> ``[B, T, 1, 96, 64]`` VGGish log-mels."""
        from ...datasets.transforms.vggish_frontend import log_mel_examples, pad_or_crop_examples
        if isinstance(waves, Tensor):
            waves = list(waves)
        out = []
        for wave in waves:
            examples = log_mel_examples(wave.float().reshape(-1))  # [n, 1, 96, 64]
            out.append(pad_or_crop_examples(examples, num_frames, self.wave_pad_mode))
        return torch.stack(out)  # [B, T, 1, 96, 64]
