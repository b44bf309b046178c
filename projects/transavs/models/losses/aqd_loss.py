"""Audio Query Distance Loss (AQDL), paper eq. 9-10."""
from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from .pairwise import FRAME_REDUCTIONS, pair_average, selected_pairs

__all__ = ['AQDLoss', 'aqd_pair_terms']


def aqd_pair_terms(embeds: Tensor, d0: float, eps: float = 1e-6) -> Tensor:
    """Eq. 10, bounded near collapse: ``d_ij = g(||u_i - u_j||^2)`` if the squared distance is
    below ``d0``, else 0.

    ``g(x) = 1 / x`` (eq. 10 exactly) for ``x >= eps``; below ``eps`` it continues as the
    tangent line at ``eps``, ``g(x) = (2 eps - x) / eps^2``, bounded by ``2 / eps`` and with
    the slope ``-1 / eps^2`` everywhere there. A plain ``1 / max(x, eps)`` is flat below
    ``eps``: two queries that have nearly collapsed, the case AQDL exists for, would get a
    large loss and no gradient. At exact collapse (``u_i = u_j``) the gradient is 0 for any
    function of the distance (the pair is symmetric); any difference gets pushed apart.

    Args:
        embeds (Tensor): ``[F, N, d]`` projected query embeddings ``u = h(q)``.
        d0 (float): the squared-distance threshold.
        eps (float): where eq. 10's ``1 / x`` hands over to the tangent line.

    Returns:
        Tensor: ``[F, N, N]`` pair terms (float32).
    """
    u = embeds.float()
    sq_norm = u.pow(2).sum(-1)  # [F, N]
    gram = u @ u.transpose(1, 2)  # [F, N, N]
    # not clamped at 0: float32 rounding near collapse may give a tiny negative value, where
    # the tangent line is still defined and still has its slope
    dist2 = sq_norm[:, :, None] + sq_norm[:, None, :] - 2 * gram
    near = (2 * eps - dist2) / (eps * eps)
    far = 1.0 / dist2.clamp(min=eps)  # finite in both branches, so no NaN gradient
    terms = torch.where(dist2 < eps, near, far)
    return torch.where(dist2 < d0, terms, dist2.new_zeros(()))


@MODELS.register_module()
class AQDLoss(nn.Module):
    """Audio Query Distance Loss, eq. 9-10.

    Penalises confident queries whose projected embeddings come too close::

        L_AQDL = 2 / (n1 (n1 + 1)) * sum_{i<j in S1} d(q_i, q_j),   S1 = {p_k > delta1}

    computed per frame (0 for a frame with ``n1 < 2``) and averaged over the batch's frames
    (``frame_reduction``; the criterion leaves padded frames out).
    The projection ``h`` lives in the head; this module receives ``h(q)``.

    The paper gives neither ``d0`` nor the scale of ``h(q)``. With ``normalize=True`` (the
    default) ``u = h(q) / ||h(q)||`` lies on the unit sphere, so squared distances lie in
    ``[0, 4]`` (``2 - 2 cos``) and ``d0`` has a fixed meaning: ``d0 = 1`` penalises pairs
    closer than 60 degrees. Unnormalised, ``h`` applied to LayerNorm-scaled queries gives
    squared distances of order ``2 d``, far above any small ``d0``, and the loss never acts.

    Args:
        d0 (float): squared-distance threshold below which a pair is penalised.
        loss_weight (float): lambda1 of eq. 13. Defaults to 2.0.
        normalize (bool): unit-normalise ``h(q)`` before the distance. Defaults to True.
        eps (float): below this squared distance eq. 10's ``1 / x`` continues as its tangent
            line (:func:`aqd_pair_terms`). Defaults to 1e-6.
        frame_reduction (str): how the per-frame losses are averaged over the batch's
            frames (the paper defines the loss of one frame only): ``'all'`` (every frame
            given, a frame with fewer than two selected queries counting 0) or ``'paired'``
            (only the frames with at least two); see :func:`~.pairwise.pair_average`.
            Defaults to ``'all'``.
        loss_name (str): key in the loss dict. Defaults to ``'loss_aqdl'``.
    """

    def __init__(self,
                 d0: float,
                 loss_weight: float = 2.0,
                 normalize: bool = True,
                 eps: float = 1e-6,
                 frame_reduction: str = 'all',
                 loss_name: str = 'loss_aqdl') -> None:
        super().__init__()
        if frame_reduction not in FRAME_REDUCTIONS:
            raise ValueError(f'{type(self).__name__}: frame_reduction must be one of '
                             f'{FRAME_REDUCTIONS}, got {frame_reduction!r}')
        self.frame_reduction = frame_reduction
        if d0 <= 0:
            raise ValueError(f'AQDLoss: d0 must be positive, got {d0}')
        self.d0 = float(d0)
        self.loss_weight = float(loss_weight)
        self.normalize = bool(normalize)
        self.eps = float(eps)
        self._loss_name = loss_name

    def forward(self, embeds: Tensor, probs: Tensor,
                threshold: Union[float, Tensor],
                frames: Optional[Tensor] = None) -> Tensor:
        """Computes the weighted loss.

        Args:
            embeds (Tensor): ``[F, N, d]`` projected query embeddings ``h(q)``.
            probs (Tensor): ``[F, N]`` query confidences ``p_k`` (not differentiated).
            threshold (float | Tensor): delta1 (a 0-dim tensor in ``AVSCriterion``).
            frames (Tensor, optional): ``[F]`` bool, the frames averaged (None: all).

        Returns:
            Tensor: scalar ``loss_weight * L_AQDL``.
        """
        if self.normalize:
            embeds = F.normalize(embeds.float(), dim=-1)
        pairs, n = selected_pairs(probs, threshold)  # [F, N, N], [F]
        terms = aqd_pair_terms(embeds, self.d0, self.eps)  # [F, N, N]
        loss = pair_average(terms, pairs, n, frames, self.frame_reduction)
        return self.loss_weight * loss.to(embeds.dtype)

    @property
    def loss_name(self) -> str:
        return self._loss_name
