"""Softmax focal loss for the K-way query classifier (eq. 8 probabilities, eq. 13 L_class)."""
from typing import List, Optional, Union

import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.losses.utils import weight_reduce_loss
from mmseg.registry import MODELS
from torch import Tensor

__all__ = ['SoftmaxFocalLoss', 'softmax_focal_loss']


def softmax_focal_loss(logits: Tensor,
                       labels: Tensor,
                       gamma: float = 2.0,
                       alpha: Optional[Tensor] = None) -> Tensor:
    """``-alpha_t (1 - p_t)^gamma log p_t`` with ``p = softmax(logits)``, per row.

    With K = 2 and ``alpha = [a, 1 - a]`` this equals the sigmoid focal loss of the logit
    difference ``l_0 - l_1`` with target ``label == 0`` and balance ``a``.

    Args:
        logits (Tensor): ``[M, K]`` class logits.
        labels (Tensor): ``[M]`` int64 class indices in ``[0, K)``.
        gamma (float): focusing parameter.
        alpha (Tensor, optional): ``[K]`` per-class balance weights.

    Returns:
        Tensor: ``[M]`` unreduced losses (float32).
    """
    log_p = F.log_softmax(logits.float(), dim=-1)  # [M, K]
    log_pt = log_p.gather(1, labels[:, None]).squeeze(1)  # [M]
    loss = -(1 - log_pt.exp()).pow(gamma) * log_pt
    if alpha is not None:
        loss = loss * alpha.to(loss)[labels]
    return loss


@MODELS.register_module()
class SoftmaxFocalLoss(nn.Module):
    """Focal loss (Lin et al., 2017) over a softmax, for ``L_class`` of eq. 13.

    mmseg's ``FocalLoss`` is sigmoid-only, while eq. 8 defines the query probabilities
    with a softmax over K classes; hence this small loss.

    Args:
        gamma (float): focusing parameter. Defaults to 2.0.
        alpha (float | list[float], optional): class balance. A float ``a`` gives every
            real class weight ``a`` and the last class (mask classification's "no object")
            ``1 - a``, as the sigmoid focal loss does for positives and negatives; a list
            gives one weight per class; None, no balance. Defaults to 0.25.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to ``'mean'``.
        loss_weight (float): lambda3 of eq. 13. Defaults to 5.0.
        loss_name (str): key in the loss dict. Defaults to ``'loss_cls'``.
    """

    def __init__(self,
                 gamma: float = 2.0,
                 alpha: Optional[Union[float, List[float]]] = 0.25,
                 reduction: str = 'mean',
                 loss_weight: float = 5.0,
                 loss_name: str = 'loss_cls') -> None:
        super().__init__()
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f'SoftmaxFocalLoss: reduction must be none, mean or sum, '
                             f'got {reduction!r}')
        self.gamma = float(gamma)
        self.alpha = alpha
        self.reduction = reduction
        self.loss_weight = float(loss_weight)
        self._loss_name = loss_name

    def _alpha_vector(self, num_classes: int, ref: Tensor) -> Optional[Tensor]:
        if self.alpha is None:
            return None
        if isinstance(self.alpha, (list, tuple)):
            if len(self.alpha) != num_classes:
                raise ValueError(f'SoftmaxFocalLoss: alpha has {len(self.alpha)} '
                                 f'entries for {num_classes} classes')
            return ref.new_tensor(self.alpha)
        alpha = ref.new_full((num_classes, ), float(self.alpha))
        alpha[-1] = 1 - float(self.alpha)  # the "no object" class
        return alpha

    def forward(self,
                logits: Tensor,
                labels: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Computes the weighted, reduced loss.

        Args:
            logits (Tensor): ``[M, K]`` class logits.
            labels (Tensor): ``[M]`` class indices.
            weight (Tensor, optional): ``[M]`` per-row weights.
            avg_factor (float, optional): divisor of the sum for ``'mean'``.
            reduction_override (str, optional): overrides ``reduction``.

        Returns:
            Tensor: the loss.
        """
        reduction = reduction_override or self.reduction
        alpha = self._alpha_vector(logits.shape[-1], logits.float())
        loss = softmax_focal_loss(logits, labels, self.gamma, alpha)
        if weight is not None:
            weight = weight.float()
        loss = weight_reduce_loss(loss, weight, reduction, avg_factor)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        return self._loss_name
