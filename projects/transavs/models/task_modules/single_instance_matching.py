"""Hungarian matching for frames with at most one ground-truth instance, batched.

A TransAVS frame has one ground-truth instance (the union of its sounding objects) or none.
With a single instance, the minimum-cost one-to-one assignment of the Hungarian algorithm is
simply the query of lowest cost, so the matching of all frames is one ``argmin`` over a
``[F, N]`` cost matrix: no per-frame loop, no host synchronisation, same result as mmseg's
``HungarianAssigner`` on the same sampled points (ties aside).
"""
from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['single_instance_costs', 'match_single_instance']


def single_instance_costs(cls_logits: Tensor, point_logits: Tensor, point_targets: Tensor,
                          match_costs: Sequence[Dict], gt_label: int = 0) -> Tensor:
    """Matching cost of every query against its frame's instance.

    The same formulas as mmseg's ``ClassificationCost``, ``DiceCost`` and
    ``CrossEntropyLossCost`` (``mmseg.models.assigners.match_cost``), evaluated per frame.

    Args:
        cls_logits (Tensor): ``[F, N, K]`` class logits.
        point_logits (Tensor): ``[F, N, P]`` mask logits at sampled points.
        point_targets (Tensor): ``[F, P]`` ground truth at the same points.
        match_costs (Sequence[dict]): the assigner's ``match_costs`` configs.
        gt_label (int): the instance's class. Defaults to 0 ("sounding").

    Returns:
        Tensor: ``[F, N]`` total cost.
    """
    total = cls_logits.new_zeros(cls_logits.shape[:2], dtype=torch.float32)
    preds = point_logits.float()
    targets = point_targets.float()[:, None]  # [F, 1, P]
    for cfg in match_costs:
        kind, weight = cfg['type'].split('.')[-1], float(cfg.get('weight', 1.0))
        if kind == 'ClassificationCost':
            cost = -cls_logits.float().softmax(-1)[..., gt_label]
        elif kind == 'DiceCost':
            m = preds.sigmoid() if cfg.get('pred_act', False) else preds
            eps = float(cfg.get('eps', 1e-3))
            numerator = 2 * (m * targets).sum(-1)
            if cfg.get('naive_dice', True):
                denominator = m.sum(-1) + targets.sum(-1)
            else:
                denominator = m.pow(2).sum(-1) + targets.pow(2).sum(-1)
            cost = 1 - (numerator + eps) / (denominator + eps)
        elif kind == 'CrossEntropyLossCost':
            if not cfg.get('use_sigmoid', True):
                raise NotImplementedError('CrossEntropyLossCost needs use_sigmoid=True')
            pos = F.binary_cross_entropy_with_logits(preds, torch.ones_like(preds),
                                                     reduction='none')
            neg = F.binary_cross_entropy_with_logits(preds, torch.zeros_like(preds),
                                                     reduction='none')
            cost = (pos * targets + neg * (1 - targets)).sum(-1) / preds.shape[-1]
        else:
            raise KeyError(f'batched single-instance matching does not know the match cost '
                           f'{cfg["type"]!r}; use ClassificationCost, DiceCost or '
                           'CrossEntropyLossCost, or train_cfg.batched_matching=False')
        total = total + weight * cost
    return total


def match_single_instance(cls_logits: Tensor, point_logits: Tensor, point_targets: Tensor,
                          match_costs: List[Dict]) -> Tensor:
    """The matched query of every frame: ``argmin`` of :func:`single_instance_costs`.

    Returns:
        Tensor: ``[F]`` long query indices (meaningless for frames without an instance).
    """
    with torch.no_grad():
        return single_instance_costs(cls_logits, point_logits, point_targets,
                                     match_costs).argmin(1)
