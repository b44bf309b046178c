"""Model FLOPs per frame (mmengine's FlopAnalyzer) and the devices' peak throughput."""
import copy
from typing import Any, List, Tuple

from mmengine.analysis import FlopAnalyzer
from mmengine.analysis.jit_handles import get_shape
from torch import nn

__all__ = ['PEAK_TFLOPS', 'attention_flop_jit', 'forward_flops_per_frame']

#: Dense peak TFLOP/s by (device name fragment, dtype), from the vendors' data sheets.
PEAK_TFLOPS = {
    ('H200', 'bf16'): 989.0, ('H200', 'fp16'): 989.0, ('H200', 'fp32'): 494.7,  # fp32: TF32
    ('H100', 'bf16'): 989.0, ('H100', 'fp16'): 989.0, ('H100', 'fp32'): 494.7,
    ('A100', 'bf16'): 312.0, ('A100', 'fp16'): 312.0, ('A100', 'fp32'): 156.0,
}


def attention_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """Multiply-adds of ``aten::scaled_dot_product_attention`` (eq. 2), for FlopAnalyzer.

    mmengine's analyser has no handle for the fused op and would count it as 0; its two
    matrix products are ``Q K^T`` (``Lq x Lk x d`` per head) and ``softmax(.) V``
    (``Lq x Lk x d_v``); the softmax and the scaling are not counted, as for ``matmul``.
    """
    *lead, len_q, dims = get_shape(inputs[0])  # [..., Lq, d]
    len_k = get_shape(inputs[1])[-2]  # [..., Lk, d]
    dims_v = get_shape(inputs[2])[-1]  # [..., Lk, d_v]
    batch = 1
    for size in lead:
        batch *= size
    return batch * len_q * len_k * (dims + dims_v)


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
    analyzer.set_op_handle('aten::scaled_dot_product_attention', attention_flop_jit)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    by_module = analyzer.by_module()
    audio = by_module.get('model.audio_backbone', 0)
    return 2 * analyzer.total() / frames, 2 * audio / frames
