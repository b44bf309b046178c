"""ONNX Runtime against PyTorch on the same inputs: probabilities within 1e-4, class maps equal
except at ties.

A tie is a pixel where eq. 14 cannot decide robustly: the best and second-best class scores
(per class, the best ``p_i(c_i) m_i(x, y)`` of its queries; the background's included) differ
by at most ``tie_tol``, or (``'threshold'`` inference) the best sounding score is within
``tie_tol`` of 0.5. There the two runtimes' rounding may pick either class; everywhere else
they must agree. The scores come from PyTorch's own head outputs (``TransAVS._forward``).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .onnx_export import ExportGraph, example_inputs
from .onnx_model import ONNXSegmentor

__all__ = ['PROB_TOL', 'class_ties', 'compare_predictions', 'verify_onnx']

#: Largest allowed absolute difference of the foreground probabilities.
PROB_TOL = 1e-4


def class_ties(model: nn.Module, inputs: Dict[str, Tensor], tie_tol: float = PROB_TOL) -> Tensor:
    """Bool ``[F, H, W]``: the pixels whose eq. 14 class is a tie (module docstring).

    Args:
        model (nn.Module): the TransAVS model.
        inputs (dict): one clip's model inputs (normalised ``frames`` ``[1, F, 3, H, W]``,
            ``audio_log_mel``, optional ``frame_seconds``).
        tie_tol (float): the score gap counted as a tie.
    """
    head = model.decode_head
    with torch.no_grad():
        outs = model._forward(inputs)
    cls_logits, mask_logits = outs['cls_logits'][-1], outs['mask_logits'][-1]
    size = tuple(inputs['frames'].shape[-2:])
    probs = cls_logits.float().softmax(-1)  # eq. 8: [F, N, K + 1]
    score, label = probs[..., :head.num_classes].max(-1)  # eq. 15: [F, N]
    masks = F.interpolate(mask_logits.float(), size=size, mode='bilinear',
                          align_corners=False).sigmoid()  # [F, N, H, W]
    weighted = score[..., None, None] * masks  # eq. 14 scores: [F, N, H, W]
    # best score per class: (F, N, H, W) -> (F, K, H, W); classes without a query stay -1
    per_class = weighted.new_full((weighted.shape[0], head.num_classes, *size), -1.0)
    per_class.scatter_reduce_(1, label[..., None, None].expand_as(weighted), weighted,
                              reduce='amax')
    if head.test_cfg.get('inference', 'eq14') == 'threshold':
        sounding = per_class[:, 1:]
        top = sounding.topk(min(2, sounding.shape[1]), dim=1).values
        ties = (top[:, 0] - 0.5).abs() <= tie_tol
        if top.shape[1] > 1:
            ties |= (top[:, 0] > 0.5) & (top[:, 0] - top[:, 1] <= tie_tol)
        return ties
    top = per_class.clamp(min=0).topk(2, dim=1).values  # [F, 2, H, W]
    return top[:, 0] - top[:, 1] <= tie_tol


def compare_predictions(reference: Tuple[Tensor, Tensor], onnx: Tuple[np.ndarray, np.ndarray],
                        ties: Tensor) -> Dict[str, object]:
    """The differences of one clip's ``(fg_prob, classes)`` pairs."""
    ref_prob, ref_cls = (t.cpu() for t in reference)
    ort_prob, ort_cls = (torch.from_numpy(np.asarray(a)) for a in onnx)
    if ref_prob.shape != ort_prob.shape:
        raise ValueError(f'ONNX Runtime gave fg_prob {tuple(ort_prob.shape)}, PyTorch '
                         f'{tuple(ref_prob.shape)}')
    differ = ref_cls.long() != ort_cls.long()
    return dict(
        max_abs_prob_diff=float((ref_prob.float() - ort_prob.float()).abs().max()),
        class_pixels_differing=int(differ.sum()),
        class_pixels_differing_outside_ties=int((differ & ~ties.cpu()).sum()),
        tie_pixels=int(ties.sum()),
        pixels=int(differ.numel()))


def verify_onnx(model: nn.Module, onnx_file: str, size: Tuple[int, int],
                clips: Optional[Sequence[Tuple[Tensor, Tensor, Tensor]]] = None,
                num_threads: Optional[int] = None, data_config: Optional[str] = None,
                prob_tol: float = PROB_TOL) -> Dict[str, object]:
    """Runs ONNX Runtime (CPU) and PyTorch on the same clips and compares them.

    Args:
        model (nn.Module): the PyTorch model the file was exported from.
        onnx_file (str): the exported graph.
        size (tuple[int, int]): the frame size of generated inputs.
        clips (list, optional): ``(frames uint8 [F, 3, H, W], log-mels [T, 1, 96, 64],
            frame_seconds [F])`` per clip; default: generated clips of ``T`` and ``2T``
            frames (random pixels and log-mels).
        num_threads (int, optional): ONNX Runtime's threads.
        data_config (str, optional): the config for the ONNX side's pipeline check.
        prob_tol (float): the largest allowed probability difference.

    Returns:
        dict: per clip the :func:`compare_predictions` figures, their worst values,
        ``passed`` and the ``failures``.
    """
    from ..engine import read_config
    cfg = read_config(data_config) if data_config else getattr(model, 'cfg', None)
    runner = ONNXSegmentor(onnx_file, cfg, num_threads=num_threads)
    clip_seconds = int(model.decode_head.clip_seconds)
    if clips is None:
        clips = [example_inputs(clip_seconds, size, n, seed=n)
                 for n in (clip_seconds, 2 * clip_seconds)]
        if runner.input_size is None:  # dynamic frame size: also another one
            clips.append(example_inputs(clip_seconds, (size[0] + 32, max(32, size[1] - 32)),
                                        clip_seconds, seed=1))
    model.eval()
    graph = ExportGraph(model).eval()  # the exported computation, run by PyTorch
    reports: List[Dict[str, object]] = []
    for frames, log_mel, seconds in clips:
        with torch.no_grad():
            reference = graph(frames, log_mel, seconds)  # [F, H, W] each
        onnx = runner.predict_frames(frames.numpy(), log_mel.numpy(), seconds.numpy())
        report = compare_predictions(reference, onnx, class_ties(
            model, graph.model_inputs(frames, log_mel, seconds)))
        report['frames'] = int(frames.shape[0])
        reports.append(report)
    worst_prob = max(r['max_abs_prob_diff'] for r in reports)
    outside = sum(r['class_pixels_differing_outside_ties'] for r in reports)
    failures = []
    if not worst_prob <= prob_tol:
        failures.append(f'fg_prob differs by up to {worst_prob:.3g} (> {prob_tol:g})')
    if outside:
        failures.append(f'{outside} class-map pixel(s) differ outside ties')
    return dict(clips=reports, max_abs_prob_diff=worst_prob,
                class_pixels_differing_outside_ties=outside, passed=not failures,
                failures=failures)
