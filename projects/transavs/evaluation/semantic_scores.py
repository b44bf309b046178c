"""Per-class IoU and F-score of AVSBench-semantic class maps, as the official AVSS code.

The official aggregation (AVSBench, ``avss/utils/compute_color_metrics.py`` and
``avss/test.py``) scores every frame separately: per class ``c``, with ``I``, ``P`` and ``G``
the pixels where prediction and ground truth are both ``c``, where the prediction is ``c``
and where the ground truth is ``c``,

- ``IoU_c = I / (P + G - I)`` (0 when the class is in neither map),
- ``F_c = (1 + beta^2) * prec * rec / (beta^2 * prec + rec)`` with ``prec = I / P`` and
  ``rec = I / G`` (0 whenever that is undefined: ``I = 0``),
- the frame *counts* for class ``c`` when ``P + G - I > 0`` (in the prediction or the
  ground truth).

Over the test set, the per-frame values are summed per class and divided by the number of
frames that count for the class (0 for a class never counted); mIoU and mF are the means of
these per-class values over **all** ``K`` classes, background and unseen classes included.
:func:`frame_class_stats` gives the sums of a set of frames, :func:`summarize_classes` the
summary of (summed) sums, so that clips can be scored one by one and added up.
"""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from prettytable import PrettyTable
from torch import Tensor

__all__ = ['frame_class_stats', 'summarize_classes', 'class_table']

ArrayLike = Union[Tensor, np.ndarray, Sequence[float]]


def _as_labels(labels: Union[Tensor, np.ndarray], what: str) -> Tensor:
    """An integer ``[F, H, W]`` tensor of labels (no copy when already one)."""
    if not isinstance(labels, Tensor):
        labels = torch.as_tensor(np.asarray(labels))
    if labels.is_floating_point() or labels.is_complex():
        raise ValueError(f'{what} must hold integer class indices, got dtype {labels.dtype}')
    if labels.dim() != 3:
        raise ValueError(f'{what} must be [F, H, W] (one class map per frame), got shape '
                         f'{tuple(labels.shape)}')
    return labels


def _check_range(labels: Tensor, num_classes: int, what: str) -> None:
    """Raises when a label is outside ``[0, num_classes)``."""
    if labels.numel() == 0:
        return
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= num_classes:
        raise ValueError(f'{what} holds class indices in [{low}, {high}]; expected '
                         f'[0, {num_classes - 1}] ({num_classes} classes, 0 = background)')


def frame_class_stats(pred: Union[Tensor, np.ndarray],
                      gt: Union[Tensor, np.ndarray],
                      num_classes: int,
                      beta2: float = 0.3,
                      ignore_index: Optional[int] = None) -> Dict[str, object]:
    """Per-class sums of the official per-frame IoU and F-score over a set of frames.

    Each frame is scored separately (see the module docstring) and the per-frame values are
    summed per class; the pixel counts come from one ``torch.bincount`` over all frames.

    Args:
        pred (Tensor | np.ndarray): ``[F, H, W]`` integer predicted classes in
            ``[0, num_classes)``.
        gt (Tensor | np.ndarray): ``[F, H, W]`` integer ground-truth classes in
            ``[0, num_classes)`` (0 = background).
        num_classes (int): ``K``, background included (AVSBench-semantic: 71).
        beta2 (float): F-score ``beta^2``. Defaults to 0.3 (official).
        ignore_index (int, optional): a ground-truth value whose pixels are left out of both
            maps (the official code has none). Defaults to None: every pixel counts and every
            label must be a class.

    Returns:
        dict: float64 ``[K]`` CPU tensors ``iou_sum`` and ``f_sum`` (sums over the frames of
        the per-frame IoU and F of each class), ``count`` (frames where the class is in the
        prediction or the ground truth) and ``frames`` (int, ``F``).

    Raises:
        ValueError: non-integer maps, shapes that are not ``[F, H, W]`` or differ, or a label
            outside ``[0, K)`` (the message says which map and the range found).
    """
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f'num_classes must be a positive int, got {num_classes!r}')
    num_classes = int(num_classes)
    pred = _as_labels(pred, 'the prediction')
    gt = _as_labels(gt, 'the ground truth').to(pred.device)
    if pred.shape != gt.shape:
        raise ValueError(f'the prediction has shape {tuple(pred.shape)} but the ground truth '
                         f'{tuple(gt.shape)}; they must be the same [F, H, W]')
    num_frames, height, width = pred.shape
    pred = pred.long().reshape(num_frames, height * width)  # [F, H, W] -> [F, H*W]
    gt = gt.long().reshape(num_frames, height * width)  # [F, H, W] -> [F, H*W]
    _check_range(pred, num_classes, 'the prediction')
    frame = torch.arange(num_frames, device=pred.device)[:, None].expand_as(pred)  # [F, H*W]
    if ignore_index is not None:
        keep = gt != ignore_index
        pred, gt, frame = pred[keep], gt[keep], frame[keep]  # [N] each
    _check_range(gt, num_classes, 'the ground truth')

    size = num_frames * num_classes
    # one bin per (frame, class): index = frame * K + class
    pred_key = (frame * num_classes + pred).flatten()
    gt_key = (frame * num_classes + gt).flatten()
    hit = (pred == gt).flatten()

    def counts(keys: Tensor) -> Tensor:
        # [N] -> [F*K] -> [F, K]
        return torch.bincount(keys, minlength=size).reshape(num_frames, num_classes).cpu()

    area_pred = counts(pred_key).double()
    area_lab = counts(gt_key).double()
    area_inter = counts(gt_key[hit]).double()
    area_union = area_pred + area_lab - area_inter  # [F, K]
    seen = area_union > 0
    iou = torch.where(seen, area_inter / area_union.clamp(min=1), torch.zeros_like(area_union))
    precision = area_inter / area_pred.clamp(min=1)
    recall = area_inter / area_lab.clamp(min=1)
    # I > 0 implies P > 0 and G > 0; otherwise the official value is NaN, set to 0
    fscore = torch.where(area_inter > 0,
                         (1 + beta2) * precision * recall / (beta2 * precision + recall),
                         torch.zeros_like(area_inter))
    return dict(
        iou_sum=iou.sum(0),
        f_sum=fscore.sum(0),
        count=seen.sum(0).double(),
        frames=int(num_frames))


def _as_float64(values: ArrayLike, what: str) -> Tensor:
    values = torch.as_tensor(np.asarray(values, dtype=np.float64)
                             if not isinstance(values, Tensor) else values).double().cpu()
    if values.dim() != 1:
        raise ValueError(f'{what} must be a [K] vector, got shape {tuple(values.shape)}')
    return values


def summarize_classes(iou_sum: ArrayLike, f_sum: ArrayLike,
                      count: ArrayLike) -> Dict[str, object]:
    """The official mIoU and mF from per-class sums, and the means over seen classes.

    Args:
        iou_sum (Tensor | np.ndarray | Sequence[float]): ``[K]`` sums of per-frame IoU.
        f_sum (Tensor | np.ndarray | Sequence[float]): ``[K]`` sums of per-frame F-score.
        count (Tensor | np.ndarray | Sequence[float]): ``[K]`` frames counted per class.

    Returns:
        dict: ``mIoU`` and ``mF`` (official: per-class mean over its counted frames, 0 for a
        class never counted, averaged over all ``K`` classes), ``mIoU_present`` and
        ``mF_present`` (averaged over the classes with ``count > 0``; 0 when there is none),
        all floats in ``[0, 1]``, and the per-class lists ``iou``, ``fscore`` (floats) and
        ``count`` (ints).
    """
    iou_sum = _as_float64(iou_sum, 'iou_sum')
    f_sum = _as_float64(f_sum, 'f_sum')
    count = _as_float64(count, 'count')
    if not iou_sum.shape == f_sum.shape == count.shape:
        raise ValueError(f'iou_sum, f_sum and count must have one entry per class, got '
                         f'{iou_sum.numel()}, {f_sum.numel()} and {count.numel()}')
    present = count > 0
    denom = count.clamp(min=1)
    iou = torch.where(present, iou_sum / denom, torch.zeros_like(iou_sum))  # [K]
    fscore = torch.where(present, f_sum / denom, torch.zeros_like(f_sum))  # [K]
    num_present = int(present.sum())

    def mean(values: Tensor) -> float:
        return float(values.mean()) if values.numel() else 0.0

    return dict(
        mIoU=mean(iou),
        mF=mean(fscore),
        mIoU_present=float(iou[present].sum()) / num_present if num_present else 0.0,
        mF_present=float(fscore[present].sum()) / num_present if num_present else 0.0,
        iou=iou.tolist(),
        fscore=fscore.tolist(),
        count=[int(c) for c in count.tolist()])


def class_table(summary: Dict[str, object],
                class_names: Optional[Sequence[str]] = None) -> PrettyTable:
    """A table of the classes counted at least once: name, IoU, F and frames.

    Args:
        summary (dict): :func:`summarize_classes`'s result (``iou``, ``fscore``, ``count``).
        class_names (Sequence[str], optional): ``K`` names; class indices when None.

    Returns:
        PrettyTable: one row per class with ``count > 0``, in class order.
    """
    num_classes = len(summary['count'])
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(f'{len(class_names)} class names for {num_classes} classes')
    table = PrettyTable()
    table.field_names = ['Class', 'IoU', 'F', 'Frames']
    table.align['Class'] = 'l'
    rows: List[list] = []
    for k in range(num_classes):
        if summary['count'][k] > 0:
            name = class_names[k] if class_names is not None else str(k)
            rows.append([name, f'{summary["iou"][k]:.4f}', f'{summary["fscore"][k]:.4f}',
                         summary['count'][k]])
    table.add_rows(rows)
    return table
