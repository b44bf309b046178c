"""The official AVSBench frame metrics (Jaccard index and F-score), vectorised.

Semantics follow the official AVSBench code (``utils.mask_iou`` and ``utils.Eval_Fmeasure``):

* J (eq. 16): IoU of the binary prediction ``prob > 0.5`` with the ground truth, with
  ``eps = 1e-7`` in the denominator; a frame with an empty ground truth scores
  ``TN / (H W)`` (the fraction of pixels correctly left empty).
* F (eq. 17): ``beta^2 = 0.3``; precision and recall at 255 thresholds
  ``linspace(0, 1 - 1e-10, 255)`` (float32) with ``pred >= threshold`` and ``1e-20`` added to
  both denominators; NaN becomes 0. Frames with an empty ground truth are skipped.

Here every frame gets its whole F curve; :func:`official_fscore` and :func:`dataset_fscore`
turn curves into the reported numbers.
"""
from typing import Sequence

import torch
from torch import Tensor

__all__ = [
    'fscore_thresholds', 'frame_jaccard', 'frame_fscore_curves', 'official_fscore',
    'dataset_fscore'
]


def fscore_thresholds(num_thresholds: int = 255) -> Tensor:
    """The official thresholds ``torch.linspace(0, 1 - 1e-10, num)`` (float32)."""
    return torch.linspace(0, 1 - 1e-10, num_thresholds)


def _check(prob: Tensor, gt: Tensor) -> None:
    if prob.dim() != 3 or prob.shape != gt.shape:
        raise ValueError('expected prediction and ground truth of one shape [F, H, W], '
                         f'got {tuple(prob.shape)} and {tuple(gt.shape)}')


def frame_jaccard(prob: Tensor,
                  gt: Tensor,
                  threshold: float = 0.5,
                  eps: float = 1e-7) -> Tensor:
    """Per-frame Jaccard index (the official ``mask_iou`` without its batch mean).

    Args:
        prob (Tensor): ``[F, H, W]`` foreground probability.
        gt (Tensor): ``[F, H, W]`` ground truth; non-zero is foreground.
        threshold (float): binarisation threshold (``prob > threshold``).
        eps (float): added to the union.

    Returns:
        Tensor: ``[F]`` float32.
    """
    _check(prob, gt)
    pred = prob > threshold  # [F, H, W]
    target = gt != 0
    num_pixels = pred.shape[-1] * pred.shape[-2]
    inter = (pred & target).flatten(1).sum(1).float()  # [F]
    union = (pred | target).flatten(1).sum(1).float()
    empty = ~target.flatten(1).any(1)
    true_neg = (~pred & ~target).flatten(1).sum(1).float()
    inter = torch.where(empty, true_neg, inter)
    union = torch.where(empty, torch.full_like(union, num_pixels), union)
    return inter / (union + eps)


def frame_fscore_curves(prob: Tensor,
                        gt: Tensor,
                        num_thresholds: int = 255,
                        beta2: float = 0.3) -> Tensor:
    """Per-frame F-score at each official threshold.

    Counts ``pred >= th`` for all thresholds at once: each pixel falls in the bucket of the
    number of thresholds it reaches, and reversed cumulative sums of the buckets give the
    predicted-positive and true-positive counts per threshold.

    Args:
        prob (Tensor): ``[F, H, W]`` foreground probability.
        gt (Tensor): ``[F, H, W]`` ground truth; non-zero is foreground.
        num_thresholds (int): number of thresholds (official: 255).
        beta2 (float): ``beta^2`` (official: 0.3).

    Returns:
        Tensor: ``[F, num_thresholds]`` float32 (frames with empty ground truth included;
        callers skip them).
    """
    _check(prob, gt)
    num_frames = prob.shape[0]
    th = fscore_thresholds(num_thresholds).to(prob.device)
    p = prob.detach().float().flatten(1).contiguous()  # [F, P]
    target = (gt != 0).flatten(1)  # [F, P]
    # k = how many thresholds a pixel reaches (th <= p), in [0, num_thresholds].
    k = torch.searchsorted(th, p, right=True)  # [F, P]
    # NaN >= th is False in the official code (NaN never predicted); searchsorted puts NaN last.
    k = k.masked_fill(torch.isnan(p), 0)
    offsets = torch.arange(num_frames, device=p.device)[:, None] * (num_thresholds + 1)
    size = num_frames * (num_thresholds + 1)
    hist_all = torch.bincount((k + offsets).flatten(), minlength=size)
    hist_pos = torch.bincount((k + offsets)[target], minlength=size)
    hist_all = hist_all.view(num_frames, num_thresholds + 1)[:, 1:]  # [F, num_th]
    hist_pos = hist_pos.view(num_frames, num_thresholds + 1)[:, 1:]
    # count[i] = pixels with k > i, i.e. reaching threshold i.
    pred_pos = hist_all.flip(-1).cumsum(-1).flip(-1).float()  # [F, num_th]
    true_pos = hist_pos.flip(-1).cumsum(-1).flip(-1).float()
    gt_pos = target.sum(1, keepdim=True).float()  # [F, 1]
    prec = true_pos / (pred_pos + 1e-20)
    recall = true_pos / (gt_pos + 1e-20)
    f = (1 + beta2) * prec * recall / (beta2 * prec + recall)
    return torch.nan_to_num(f, nan=0.0)


def official_fscore(curves: Sequence[Tensor]) -> float:
    """mF as the official test script computes it: per test batch, then averaged.

    The official ``Eval_Fmeasure`` averages the F curves of a batch's frames with non-empty
    ground truth, takes the maximum over thresholds, and the test loop averages these
    maxima over batches; a batch without any non-empty frame scores 0.

    Args:
        curves (Sequence[Tensor]): per test batch, ``[n_b, num_thresholds]`` curves of its
            frames with non-empty ground truth (``n_b`` may be 0).

    Returns:
        float: the mean over batches of the max of the batch-mean curve (0 for no batch).
    """
    if len(curves) == 0:
        return 0.0
    scores = [c.mean(0).max().item() if c.shape[0] > 0 else 0.0 for c in curves]
    return float(sum(scores) / len(scores))


def dataset_fscore(curves: Tensor) -> float:
    """Batch-independent mF: the mean curve over all non-empty frames, then the maximum.

    Args:
        curves (Tensor): ``[n, num_thresholds]`` curves of frames with non-empty ground truth.

    Returns:
        float: 0 when ``n == 0``.
    """
    if curves.shape[0] == 0:
        return 0.0
    return float(curves.mean(0).max().item())
