"""The confident-pair average shared by AQDL (eq. 9) and AQML (eq. 11)."""
from typing import Tuple, Union

import torch
from torch import Tensor

__all__ = ['selected_pairs', 'pair_average', 'selection_sizes']


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


def pair_average(pair_values: Tensor, pair_mask: Tensor, n: Tensor) -> Tensor:
    """``2 / (n (n + 1)) * sum_{i<j in S} v_ij`` per frame, averaged over frames.

    The normalisation of eq. 9 and eq. 11. A frame with ``n < 2`` has no pair and
    contributes 0 to the mean. No host synchronisation.

    Args:
        pair_values (Tensor): ``[F, N, N]`` pair terms ``v_ij`` (only masked ones are read).
        pair_mask (Tensor): bool ``[F, N, N]`` from :func:`selected_pairs`.
        n (Tensor): ``[F]`` number of selected queries per frame.

    Returns:
        Tensor: scalar, the mean over the ``F`` frames.
    """
    total = torch.where(pair_mask, pair_values,
                        pair_values.new_zeros(())).sum(dim=(1, 2))  # [F]
    n = n.to(total.dtype)
    per_frame = torch.where(n >= 2, 2 * total / (n * (n + 1)).clamp(min=1),
                            total.new_zeros(()))
    return per_frame.mean()
