"""Audio Query Mask Loss (AQML), paper eq. 11-12."""
from typing import Optional, Union

import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from .pairwise import FRAME_REDUCTIONS, pair_average, selected_pairs

__all__ = ['AQMLoss', 'aqm_pair_terms']


def aqm_pair_terms(masks: Tensor) -> Tensor:
    """Eq. 12: ``I_ij = sum_pixels(Bin(m_i) m_j + m_i Bin(m_j)) / (2 H W)``.

    ``Bin(m) = (m > 0.5)`` carries no gradient, so each mask is pulled down where the other
    mask of the pair is (binarised) on.

    Args:
        masks (Tensor): ``[F, N, H, W]`` mask probabilities in ``[0, 1]``.

    Returns:
        Tensor: ``[F, N, N]`` pair terms (float32).
    """
    m = masks.float().flatten(2)  # [F, N, H*W]
    binary = (m > 0.5).to(m.dtype).detach()  # [F, N, H*W]
    cross = binary @ m.transpose(1, 2)  # [F, N, N]: sum_p Bin(m_i) m_j
    return (cross + cross.transpose(1, 2)) / (2 * m.shape[-1])


@MODELS.register_module()
class AQMLoss(nn.Module):
    """Audio Query Mask Loss, eq. 11-12.

    Penalises overlap between the masks of confident queries::

        L_AQML = 2 / (n2 (n2 + 1)) * sum_{i<j in S2} I(m_i, m_j),   S2 = {p_k > delta2}

    per frame (0 for a frame with ``n2 < 2``), averaged over the batch's frames
    (``frame_reduction``; the criterion leaves padded frames out).

    Args:
        loss_weight (float): lambda2 of eq. 13. Defaults to 2.0.
        frame_reduction (str): how the per-frame losses are averaged over the batch's
            frames (the paper defines the loss of one frame only): ``'all'`` (every frame
            given, a frame with fewer than two selected queries counting 0) or ``'paired'``
            (only the frames with at least two); see :func:`~.pairwise.pair_average`.
            Defaults to ``'all'``.
        loss_name (str): key in the loss dict. Defaults to ``'loss_aqml'``.
    """

    def __init__(self,
                 loss_weight: float = 2.0,
                 frame_reduction: str = 'all',
                 loss_name: str = 'loss_aqml') -> None:
        super().__init__()
        if frame_reduction not in FRAME_REDUCTIONS:
            raise ValueError(f'{type(self).__name__}: frame_reduction must be one of '
                             f'{FRAME_REDUCTIONS}, got {frame_reduction!r}')
        self.frame_reduction = frame_reduction
        self.loss_weight = float(loss_weight)
        self._loss_name = loss_name

    def forward(self, masks: Tensor, probs: Tensor,
                threshold: Union[float, Tensor],
                frames: Optional[Tensor] = None) -> Tensor:
        """Computes the weighted loss.

        Args:
            masks (Tensor): ``[F, N, H, W]`` mask probabilities in ``[0, 1]``.
            probs (Tensor): ``[F, N]`` query confidences ``p_k`` (not differentiated).
            threshold (float | Tensor): delta2 (a 0-dim tensor in ``AVSCriterion``).
            frames (Tensor, optional): ``[F]`` bool, the frames averaged (None: all).

        Returns:
            Tensor: scalar ``loss_weight * L_AQML``.
        """
        pairs, n = selected_pairs(probs, threshold)  # [F, N, N], [F]
        terms = aqm_pair_terms(masks)  # [F, N, N]
        loss = pair_average(terms, pairs, n, frames, self.frame_reduction)
        return self.loss_weight * loss.to(masks.dtype)

    @property
    def loss_name(self) -> str:
        return self._loss_name
