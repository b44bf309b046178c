"""Model FLOPs per frame (mmengine's FlopAnalyzer) and the devices' peak throughput."""
import copy
from typing import Tuple

from mmengine.analysis import FlopAnalyzer
from torch import nn

__all__ = ['PEAK_TFLOPS', 'forward_flops_per_frame']

#: Dense peak TFLOP/s by (device name fragment, dtype), from the vendors' data sheets.
PEAK_TFLOPS = {
    ('H200', 'bf16'): 989.0, ('H200', 'fp16'): 989.0, ('H200', 'fp32'): 494.7,  # fp32: TF32
    ('H100', 'bf16'): 989.0, ('H100', 'fp16'): 989.0, ('H100', 'fp32'): 494.7,
    ('A100', 'bf16'): 312.0, ('A100', 'fp16'): 312.0, ('A100', 'fp32'): 156.0,
}


class _Forward(nn.Module):
    """The segmentor's forward on ``(frames, audio_log_mel)`` tensors, for the analyser."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, frames, audio_log_mel):
        out = self.model._forward(dict(frames=frames, audio_log_mel=audio_log_mel))
        return out['mask_logits'][-1], out['cls_logits'][-1]


def forward_flops_per_frame(model: nn.Module, batch: dict, frames: int) -> Tuple[float, float]:
    """Forward FLOPs per frame of one clip (1 multiply-add = 2 FLOPs).

    Args:
        model (nn.Module): The segmentor (eval mode).
        batch (dict): A batch as :func:`make_batch` gives; its first clip is analysed.
        frames (int): Frames per clip ``T``.

    Returns:
        tuple[float, float]: The whole forward's FLOPs per frame and the audio backbone's.
    """
    data = model.data_preprocessor(copy.deepcopy(batch), False)['inputs']
    one = (data['frames'][:1], data['audio_log_mel'][:1])
    analyzer = FlopAnalyzer(_Forward(model).eval(), one)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    by_module = analyzer.by_module()
    audio = by_module.get('model.audio_backbone', 0)
    return 2 * analyzer.total() / frames, 2 * audio / frames
