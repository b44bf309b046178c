"""Hungarian matching of audio queries to a frame's ground-truth instances.

Costs are mmseg's match costs (``ClassificationCost``, ``DiceCost``,
``CrossEntropyLossCost``) on points drawn uniformly at random, one draw per frame shared by
the predictions and the ground truth (Mask2Former's matcher). Two paths give the same
assignment:

- frames with at most two instances (every binary S4/MS3 frame with ``'semantic'``
  targets: background and sounding; with ``'components'`` the frames with one sounding
  region) are matched together by :func:`match_two_slots`, an exact solution of the
  two-column assignment problem with no per-frame loop; when every frame of the batch has
  at most two slots (binary ``'semantic'``) the matching needs no host synchronisation;
- the other frames go one by one through mmseg's ``HungarianAssigner`` (scipy's
  ``linear_sum_assignment`` on the host) in an eager step (:meth:`QueryMatcher.match_mixed`);
  a compiled step matches every frame of a batch with more
  than two slots on the device instead (:meth:`QueryMatcher.match_on_device`,
  :func:`~.assignment.batched_linear_assignment`), without host synchronisation. Eagerly
  scipy is the faster of the two: the device solver launches many small kernels, which a
  compiled step fuses.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import point_sample
from mmengine.structures import InstanceData
from mmseg.registry import TASK_UTILS
from torch import Tensor

from .assignment import batched_linear_assignment
from .targets import FrameTargets

__all__ = ['QueryMatcher', 'match_cost_matrix', 'match_two_slots']


def match_cost_matrix(cls_logits: Tensor, point_logits: Tensor, labels: Tensor,
                      point_targets: Tensor, match_costs: Sequence[Dict]) -> Tensor:
    """Matching cost of every query against every instance slot, batched over frames.

    The formulas of mmseg's ``ClassificationCost``, ``DiceCost`` and
    ``CrossEntropyLossCost`` (``mmseg.models.assigners.match_cost``), evaluated for all
    frames at once (those classes take one frame at a time).

    Args:
        cls_logits (Tensor): ``[F, N, C]`` class logits.
        point_logits (Tensor): ``[F, N, P]`` mask logits at the sampled points.
        labels (Tensor): ``[F, M]`` class of each instance slot.
        point_targets (Tensor): ``[F, M, P]`` ground truth at the same points.
        match_costs (Sequence[dict]): the assigner's ``match_costs`` configs.

    Returns:
        Tensor: ``[F, N, M]`` float32 total cost.
    """
    num_frames, num_queries = cls_logits.shape[:2]
    total = cls_logits.new_zeros((num_frames, num_queries, labels.shape[1]),
                                 dtype=torch.float32)
    preds = point_logits.float()
    targets = point_targets.float()
    for cfg in match_costs:
        kind, weight = cfg['type'].split('.')[-1], float(cfg.get('weight', 1.0))
        if kind == 'ClassificationCost':
            probs = cls_logits.float().softmax(-1)  # [F, N, C]
            cost = -probs.gather(2, labels[:, None, :].expand(-1, num_queries, -1))
        elif kind == 'DiceCost':
            m = preds.sigmoid() if cfg.get('pred_act', False) else preds
            eps = float(cfg.get('eps', 1e-3))
            numerator = 2 * torch.einsum('fnp,fmp->fnm', m, targets)
            if cfg.get('naive_dice', True):
                denominator = m.sum(-1)[:, :, None] + targets.sum(-1)[:, None, :]
            else:
                denominator = m.pow(2).sum(-1)[:, :, None] + targets.pow(2).sum(-1)[:, None]
            cost = 1 - (numerator + eps) / (denominator + eps)
        elif kind == 'CrossEntropyLossCost':
            if not cfg.get('use_sigmoid', True):
                raise NotImplementedError('CrossEntropyLossCost needs use_sigmoid=True')
            # BCE(x, 1) t + BCE(x, 0) (1 - t) = softplus(x) - x t: one pass over the points
            neg = F.softplus(preds).sum(-1)  # [F, N]
            cost = (neg[:, :, None] - torch.einsum('fnp,fmp->fnm', preds, targets)) / \
                preds.shape[-1]
        else:
            raise KeyError(f'unknown match cost {cfg["type"]!r}: use ClassificationCost, '
                           'DiceCost or CrossEntropyLossCost')
        total = total + weight * cost
    return total


def match_two_slots(cost: Tensor, valid: Tensor) -> Tensor:
    """The minimum-cost assignment of distinct queries to at most two instance slots.

    For two slots the best pair of distinct queries is ``(argmin c_0, argmin c_1)`` when
    the two argmins differ; when they coincide at query ``k`` it is the better of
    ``(k, second-best of c_1)`` and ``(second-best of c_0, k)`` (any pair without ``k``
    costs at least as much as one of these). An absent slot costs 0 for every query, so the
    other slot simply takes its argmin. Equal to the Hungarian algorithm (ties aside),
    batched over frames and without host synchronisation.

    Args:
        cost (Tensor): ``[F, N, M]`` costs, ``M <= 2``, ``N >= M``.
        valid (Tensor): ``[F, M]`` bool, the slot holds an instance.

    Returns:
        Tensor: ``[F, M]`` long query index per slot (meaningless for absent slots).
    """
    num_slots = cost.shape[2]
    if num_slots > 2 or cost.shape[1] < num_slots:
        raise ValueError(f'match_two_slots needs at most 2 slots and at least as many '
                         f'queries, got cost {tuple(cost.shape)}')
    cost = cost.masked_fill(~valid[:, None, :], 0.0)
    if num_slots == 1:
        return cost[..., 0].argmin(1, keepdim=True)
    c0, c1 = cost[..., 0], cost[..., 1]  # [F, N]
    i0, i1 = c0.argmin(1, keepdim=True), c1.argmin(1, keepdim=True)  # [F, 1]
    j0 = c0.scatter(1, i0, float('inf')).argmin(1, keepdim=True)  # second best of c_0
    j1 = c1.scatter(1, i1, float('inf')).argmin(1, keepdim=True)
    keep_first = c0.gather(1, i0) + c1.gather(1, j1)  # slot 0 keeps k: (k, j1)
    keep_second = c0.gather(1, j0) + c1.gather(1, i1)  # slot 1 keeps k: (j0, k)
    same = i0 == i1
    second = same & (keep_second < keep_first)
    q0 = torch.where(second, j0, i0)
    q1 = torch.where(same & ~second, j1, i1)
    return torch.cat([q0, q1], 1)


class QueryMatcher:
    """Matches the queries of every frame to its instance slots (Hungarian, sampled points).

    Args:
        assigner (dict): mmseg ``HungarianAssigner`` config with its ``match_costs``.
        num_points (int): points drawn per frame for the mask costs.
    """

    def __init__(self, assigner: dict, num_points: int) -> None:
        self.assigner = TASK_UTILS.build(assigner)
        self.match_costs = [dict(cfg) for cfg in assigner['match_costs']]
        self.num_points = int(num_points)

    def draw_points(self, num_layers: int, num_frames: int, device) -> Tensor:
        """The points of every decoder layer's matching, drawn at once (so that matching all
        layers before their losses, as :meth:`match_layers` does, draws the same numbers as
        matching them one by one).

        Returns:
            Tensor: ``[L, F, P, 2]`` uniform ``(x, y)`` in ``[0, 1)``.
        """
        return torch.rand(num_layers, num_frames, self.num_points, 2, device=device)

    def _point_data(self, mask_logits: Tensor, targets: FrameTargets,
                    coords: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """Mask logits ``[F, N, P]`` and targets ``[F, M, P]`` at the points ``coords``
        (``[F, P, 2]``; None draws them)."""
        if coords is None:
            coords = self.draw_points(1, mask_logits.shape[0], mask_logits.device)[0]
        # queries / slots as channels: [F, N, h, w] at [F, P, 2] -> [F, N, P]
        point_logits = point_sample(mask_logits.float(), coords)
        point_targets = point_sample(targets.masks.float(), coords)  # [F, M, P]
        return point_logits, point_targets

    @torch.no_grad()
    def __call__(self,
                 cls_logits: Tensor,
                 mask_logits: Tensor,
                 targets: FrameTargets,
                 coords: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Matches one decoder layer's predictions.

        Args:
            cls_logits (Tensor): ``[F, N, C]`` class logits.
            mask_logits (Tensor): ``[F, N, h, w]`` mask logits.
            targets (FrameTargets): ``M`` instance slots per frame.
            coords (Tensor, optional): ``[F, P, 2]`` points of the mask costs (from
                :meth:`draw_points`); None draws them.

        Returns:
            tuple[Tensor, Tensor]: ``[F, M]`` long query index of each slot and ``[F, M]``
            bool, the slot holds an instance that got a query (a frame with more instances
            than queries leaves the most expensive ones unmatched).
        """
        num_queries = cls_logits.shape[1]
        point_logits, point_targets = self._point_data(mask_logits, targets, coords)
        num_slots = targets.labels.shape[1]
        if num_queries < 2:
            return self.assign_per_frame(cls_logits, point_logits, targets, point_targets)
        if num_slots <= 2:
            return self._match_batched(cls_logits, point_logits, targets, point_targets)
        if torch.compiler.is_compiling():
            return self.match_on_device(cls_logits, point_logits, targets, point_targets)
        return self.match_mixed(cls_logits, point_logits, targets, point_targets)

    @torch.no_grad()
    def match_layers(self, cls_layers: Sequence[Tensor], mask_layers: Sequence[Tensor],
                     targets: FrameTargets,
                     coords: Optional[Tensor] = None) -> List[Tuple[Tensor, Tensor]]:
        """Matches every decoder layer's predictions to the same targets.

        Eagerly, layer by layer (:meth:`__call__`). In a compiled step, with at least as
        many queries as slots, the cost matrices of all layers are stacked and solved by one
        call (:func:`match_two_slots` for up to two slots, else
        :func:`~.assignment.batched_linear_assignment`): one solver in the graph instead of
        one per layer, the same assignments.

        Args:
            cls_layers (Sequence[Tensor]): per layer, ``[F, N, C]`` class logits.
            mask_layers (Sequence[Tensor]): per layer, ``[F, N, h, w]`` mask logits.
            targets (FrameTargets): ``M`` instance slots per frame.
            coords (Tensor, optional): ``[L, F, P, 2]`` from :meth:`draw_points`; None
                draws them.

        Returns:
            list[tuple[Tensor, Tensor]]: per layer, as :meth:`__call__`.
        """
        num_layers = len(cls_layers)
        num_frames, num_queries = cls_layers[0].shape[:2]
        if coords is None:
            coords = self.draw_points(num_layers, num_frames, cls_layers[0].device)
        num_slots = targets.labels.shape[1]
        if not torch.compiler.is_compiling() or num_queries < max(num_slots, 2):
            return [self(cls, masks, targets, coords[layer])
                    for layer, (cls, masks) in enumerate(zip(cls_layers, mask_layers))]
        costs = []
        for layer, (cls, masks) in enumerate(zip(cls_layers, mask_layers)):
            point_logits, point_targets = self._point_data(masks, targets, coords[layer])
            costs.append(match_cost_matrix(cls, point_logits, targets.labels, point_targets,
                                           self.match_costs))  # [F, N, M]
        # (L, F, N, M) -> (L*F, N, M); valid (F, M) -> (L*F, M)
        cost = torch.stack(costs).flatten(0, 1)
        valid = targets.valid.repeat(num_layers, 1)
        query_idx = self._solve_on_device(cost, valid)  # [L*F, M]
        query_idx = query_idx.view(num_layers, num_frames, num_slots)  # (L*F, M) -> (L, F, M)
        return [(query_idx[layer], targets.valid) for layer in range(num_layers)]

    def match_on_device(self, cls_logits: Tensor, point_logits: Tensor, targets: FrameTargets,
                        point_targets: Tensor) -> Tuple[Tensor, Tensor]:
        """Every frame by :func:`~.assignment.batched_linear_assignment`, without host
        synchronisation (what a compiled step runs for one layer; :meth:`match_layers` solves
        all layers at once). Arguments and returns as :meth:`assign_per_frame`; every slot
        must get a query (``N >= M``)."""
        num_queries, num_slots = cls_logits.shape[1], targets.labels.shape[1]
        if num_queries < num_slots:
            raise ValueError(f'QueryMatcher: {num_slots} instance slots per frame but only '
                             f'{num_queries} queries; the device matching needs at least as many '
                             'queries as slots (lower ClipInstanceTargets.max_instances)')
        cost = match_cost_matrix(cls_logits, point_logits, targets.labels, point_targets,
                                 self.match_costs)  # [F, N, M]
        return self._solve_on_device(cost, targets.valid), targets.valid

    @staticmethod
    def _solve_on_device(cost: Tensor, valid: Tensor) -> Tensor:
        """``[F, M]`` query per slot for ``[F, N, M]`` costs, without host synchronisation:
        :func:`match_two_slots` for up to two slots, else
        :func:`~.assignment.batched_linear_assignment`."""
        if cost.shape[2] <= 2:
            return match_two_slots(cost, valid)
        # an empty slot costs the same for every query: the other slots' optimum is unchanged
        return batched_linear_assignment(cost.masked_fill(~valid[:, None, :], 0.0))

    def match_mixed(self, cls_logits: Tensor, point_logits: Tensor, targets: FrameTargets,
                    point_targets: Tensor) -> Tuple[Tensor, Tensor]:
        """Frames with at most two instances batched (:func:`match_two_slots`), the others
        by mmseg's ``HungarianAssigner`` on the host (eager steps only: a compiled step takes
        :meth:`match_on_device`). Arguments and returns as :meth:`assign_per_frame`."""
        # Slots are packed from the first, so a frame with at most two instances holds
        # them in slots 0-1: those frames are matched batched, the others by the assigner.
        # (An eager step: the host synchronisations of frames.any() and of the assigner are
        # allowed here; a compiled one takes match_on_device.)
        small = ~targets.valid[:, 2:].any(1)  # [F]
        query_idx = torch.zeros_like(targets.labels)
        matched = torch.zeros_like(targets.valid)
        for frames, match in ((small, self._match_batched), (~small, self.assign_per_frame)):
            if frames.any():
                sub = FrameTargets(*(t[frames] for t in targets))
                query_idx[frames], matched[frames] = match(
                    cls_logits[frames], point_logits[frames], sub, point_targets[frames])
        return query_idx, matched

    def _match_batched(self, cls_logits: Tensor, point_logits: Tensor, targets: FrameTargets,
                       point_targets: Tensor) -> Tuple[Tensor, Tensor]:
        """:func:`match_two_slots` for frames whose instances lie in slots 0-1 (arguments
        and returns as :meth:`assign_per_frame`)."""
        labels, valid = targets.labels[:, :2], targets.valid[:, :2]
        cost = match_cost_matrix(cls_logits, point_logits, labels, point_targets[:, :2],
                                 self.match_costs)
        query_idx = torch.zeros_like(targets.labels)
        matched = torch.zeros_like(targets.valid)
        query_idx[:, :2], matched[:, :2] = match_two_slots(cost, valid), valid
        return query_idx, matched

    @torch.compiler.disable
    def assign_per_frame(self, cls_logits: Tensor, point_logits: Tensor,
                         targets: FrameTargets,
                         point_targets: Tensor) -> Tuple[Tensor, Tensor]:
        """mmseg's ``HungarianAssigner`` frame by frame on already sampled points.

        Args:
            cls_logits (Tensor): ``[F, N, C]`` class logits.
            point_logits (Tensor): ``[F, N, P]`` mask logits at the sampled points.
            targets (FrameTargets): ``M`` instance slots per frame.
            point_targets (Tensor): ``[F, M, P]`` ground truth at the same points.

        Returns:
            tuple[Tensor, Tensor]: as :meth:`__call__`.
        """
        query_idx = torch.zeros_like(targets.labels)
        matched = torch.zeros_like(targets.valid)
        for f, valid in enumerate(targets.valid.cpu()):
            slots = valid.nonzero().squeeze(1).to(targets.labels.device)
            if slots.numel() == 0:
                continue
            queries, gt_idx = self.assigner.assign(  # float32 scores under AMP too
                InstanceData(scores=cls_logits[f].float(), masks=point_logits[f]),
                InstanceData(labels=targets.labels[f, slots], masks=point_targets[f, slots]))
            query_idx[f, slots[gt_idx]] = queries
            matched[f, slots[gt_idx]] = True
        return query_idx, matched
