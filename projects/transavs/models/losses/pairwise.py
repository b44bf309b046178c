"""The confident-pair average shared by AQDL (eq. 9) and AQML (eq. 11)."""
from typing import Optional, Tuple, Union

import torch
from torch import Tensor

__all__ = ['selected_pairs', 'pair_average', 'selection_sizes', 'frame_mean', 'FRAME_REDUCTIONS']

#: how :func:`pair_average` averages the per-frame terms over the batch's frames
FRAME_REDUCTIONS = ('all', 'paired')


def _selected(probs: Tensor, threshold: Union[float, Tensor]) -> Tensor:
    """``[F, N]`` bool: ``p > delta``, the rule of the sets ``S_1`` (eq. 9) and ``S_2`` (eq. 11);
    the selection carries no gradient."""
    return (probs > threshold).detach()


def selection_sizes(probs: Tensor, threshold: Union[float, Tensor]) -> Tensor:
    """``|S|`` per frame, ``[F]`` long (for logging how many queries a loss sees)."""
    return _selected(probs, threshold).sum(dim=1)


def selected_pairs(probs: Tensor,
                   threshold: Union[float, Tensor]) -> Tuple[Tensor, Tensor]:
    """Pairs ``i < j`` of queries that are both confident enough.

    Args:
        probs (Tensor): ``[F, N]`` confidence of each query (see ``AVSCriterion``).
        threshold (float | Tensor): the confidence threshold delta (a query needs
            ``p > delta``); a 0-dim tensor lets a compiled step change it without
            recompiling.

    Returns:
        tuple[Tensor, Tensor]: bool ``[F, N, N]``, true where ``i < j`` and both
        ``p_i, p_j > delta``; and ``n = |S|`` per frame, ``[F]``.
    """
    selected = _selected(probs, threshold)  # [F, N]
    num_queries = probs.shape[1]
    upper = torch.ones(num_queries, num_queries, dtype=torch.bool,
                       device=probs.device).triu(diagonal=1)
    pair_mask = selected[:, :, None] & selected[:, None, :] & upper  # [F, N, N]
    return pair_mask, selected.sum(dim=1)


def frame_mean(values: Tensor, frames: Optional[Tensor] = None) -> Tensor:
    """The mean of ``[F]`` per-frame values over the frames flagged in ``frames`` (bool
    ``[F]``; None: all), 0 when none is; no host synchronisation."""
    if frames is None:
        return values.mean()
    weight = frames.to(device=values.device, dtype=values.dtype)
    return (values * weight).sum() / weight.sum().clamp(min=1)


def pair_average(pair_values: Tensor, pair_mask: Tensor, n: Tensor,
                 frames: Optional[Tensor] = None, reduction: str = 'all') -> Tensor:
    """``2 / (n (n + 1)) * sum_{i<j in S} v_ij`` per frame, averaged over frames.

    The normalisation of eq. 9 and eq. 11, which define the loss of one frame; the paper does
    not say how frames are combined. No host synchronisation.

    Args:
        pair_values (Tensor): ``[F, N, N]`` pair terms ``v_ij`` (only masked ones are read).
        pair_mask (Tensor): bool ``[F, N, N]`` from :func:`selected_pairs`.
        n (Tensor): ``[F]`` number of selected queries per frame.
        frames (Tensor, optional): ``[F]`` bool, the frames that may enter the average
            (AVSBench-semantic's padded frames, a mean-colour image with silent audio, are
            left out by the criterion); None: all.
        reduction (str): ``'all'``: the mean over those frames, a frame with ``n < 2`` (no
            pair) counting 0; ``'paired'``: the mean over those of them with ``n >= 2``
            only (0 when none has a pair). Defaults to ``'all'``.

    Returns:
        Tensor: scalar.
    """
    if reduction not in FRAME_REDUCTIONS:
        raise ValueError(f'frame reduction must be one of {FRAME_REDUCTIONS}, got '
                         f'{reduction!r}')
    total = torch.where(pair_mask, pair_values,
                        pair_values.new_zeros(())).sum(dim=(1, 2))  # [F]
    n = n.to(total.dtype)
    paired = n >= 2
    per_frame = torch.where(paired, 2 * total / (n * (n + 1)).clamp(min=1),
                            total.new_zeros(()))
    if reduction == 'paired':
        frames = paired if frames is None else frames.to(paired.device).bool() & paired
    return frame_mean(per_frame, frames)
