"""Per-clip frame statistics and their summary into mJ / mF, shared by AVSMetric and tools.

:class:`~projects.transavs.evaluation.AVSMetric` (during ``val``/``test``) and
``tools/evaluate_masks.py`` (on PNG files) both reduce each clip to the compact statistics of
:func:`score_frames` and report :func:`summarize_clips` over clips in evaluation order, so
both give the same numbers for the same predictions.
"""
from typing import Dict, Mapping, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from .functional import dataset_fscore, frame_fscore_curves, frame_jaccard, official_fscore

__all__ = ['score_frames', 'summarize_clips']


def score_frames(prob: Tensor,
                 gt: Tensor,
                 num_thresholds: int = 255,
                 beta2: float = 0.3) -> Dict[str, np.ndarray]:
    """The statistics of evaluated frames that the dataset-level metrics need.

    Args:
        prob (Tensor): ``[n, H, W]`` foreground probability of the evaluated frames.
        gt (Tensor): ``[n, H, W]`` ground truth (non-zero = foreground); same device as
            ``prob`` is not required (it is moved).
        num_thresholds (int): F-score thresholds (official: 255).
        beta2 (float): F-score ``beta^2`` (official: 0.3).

    Returns:
        dict: ``jaccard`` float32 ``[n]`` (per-frame J), ``empty`` bool ``[n]`` (empty ground
        truth; F skips these frames), ``curves`` float32 ``[n, num_thresholds]`` (per-frame
        F at each threshold).
    """
    gt = gt.to(prob.device)
    if prob.shape[0] == 0:
        if prob.dim() != 3 or prob.shape != gt.shape:
            raise ValueError('expected prediction and ground truth of one shape [n, H, W], '
                             f'got {tuple(prob.shape)} and {tuple(gt.shape)}')
        return dict(
            jaccard=np.zeros(0, np.float32),
            empty=np.zeros(0, bool),
            curves=np.zeros((0, num_thresholds), np.float32))
    jaccard = frame_jaccard(prob, gt)  # [n]
    curves = frame_fscore_curves(prob, gt, num_thresholds=num_thresholds, beta2=beta2)
    empty = ~(gt != 0).flatten(1).any(1)  # [n]
    return dict(
        jaccard=jaccard.cpu().numpy().astype(np.float32),
        empty=empty.cpu().numpy(),
        curves=curves.cpu().numpy().astype(np.float32))


def _stack_curves(clips: Sequence[Mapping], num_thresholds: int) -> Tensor:
    """``[m, num_thresholds]`` curves of the non-empty frames of ``clips``."""
    parts = [np.asarray(c['curves'])[~np.asarray(c['empty'], bool)] for c in clips]
    parts = [p for p in parts if p.shape[0] > 0]
    if not parts:
        return torch.zeros(0, num_thresholds)
    return torch.from_numpy(np.concatenate(parts, axis=0).astype(np.float32))


def summarize_clips(clips: Sequence[Mapping],
                    fscore_batch_videos: int = 4) -> Dict[str, Union[float, int]]:
    """mJ and mF over clips given in evaluation (dataset) order.

    Args:
        clips (Sequence[Mapping]): per clip the statistics of :func:`score_frames`
            (``jaccard``, ``empty``, ``curves``); a clip may have no evaluated frame.
        fscore_batch_videos (int): clips per test batch of the official F-score (official
            test script: 4). Clips are grouped into consecutive batches in the given order.

    Returns:
        dict: ``mJ`` (mean J over all evaluated frames), ``mF`` (official: mean over batches
        of the max of the batch-mean F curve of non-empty frames; a batch without one
        scores 0), ``mF_dataset`` (max of the mean F curve over all non-empty frames) as
        fractions in ``[0, 1]`` (0 without frames), and ``frames`` (frames evaluated).
    """
    if fscore_batch_videos < 1:
        raise ValueError(f'fscore_batch_videos must be >= 1, got {fscore_batch_videos}')
    num_thresholds = 255
    for clip in clips:
        curves = np.asarray(clip['curves'])
        if curves.ndim == 2 and curves.shape[0] > 0:
            num_thresholds = curves.shape[1]
            break
    jaccard = [np.asarray(c['jaccard'], np.float64) for c in clips]
    jaccard = np.concatenate(jaccard) if jaccard else np.zeros(0)
    batches = [
        _stack_curves(clips[start:start + fscore_batch_videos], num_thresholds)
        for start in range(0, len(clips), fscore_batch_videos)
    ]
    return dict(
        mJ=float(jaccard.mean()) if jaccard.size else 0.0,
        mF=official_fscore(batches),
        mF_dataset=dataset_fscore(_stack_curves(clips, num_thresholds)),
        frames=int(jaccard.size))
