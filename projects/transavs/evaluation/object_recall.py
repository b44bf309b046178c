"""Per-object recall: how many sounding objects one query segments on its own.

Not an AVSBench metric. mJ / mF score the union of the sounding pixels, so a model that
covers two sounding objects with one query's mask scores as well as one that gives each its
own query; AQDL and AQML (paper eq. 9-12) claim the latter, so the ablation on a
many-source set reports this beside them. A sounding object is recalled when the mask of
one query that predicts a sounding class has IoU >= 0.5 with the object's visible region
(so each query recalls at most one of disjoint objects). No library computes it: it needs
the queries' own masks, which the segmentation metrics never see.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['query_predictions', 'recalled_objects']


def query_predictions(cls_logits: Tensor, mask_logits: Tensor, size: Tuple[int, int],
                      num_classes: int) -> Tuple[Tensor, Tensor]:
    """Each query's binary mask and whether it predicts a sounding object.

    Args:
        cls_logits (Tensor): ``[F, N, K + 1]`` final class logits (last = "no object").
        mask_logits (Tensor): ``[F, N, h, w]`` final mask logits.
        size (tuple[int, int]): ``(H, W)`` to compare at (the masks are upsampled
            bilinearly, as in inference).
        num_classes (int): ``K`` real classes, background = 0.

    Returns:
        tuple[Tensor, Tensor]: bool ``[F, N, H, W]`` masks (``sigmoid > 0.5``, eq. 7) and bool
        ``[F, N]``: the query's most probable class (eq. 8, "no object" included) is a
        sounding one (neither background nor "no object").
    """
    label = cls_logits.float().argmax(-1)  # [F, N]
    sounding = (label > 0) & (label < num_classes)
    masks = F.interpolate(mask_logits.float(), size=size, mode='bilinear',
                          align_corners=False) > 0  # sigmoid > 0.5
    return masks, sounding


def recalled_objects(query_masks: Tensor, sounding: Tensor, object_masks: Tensor,
                     iou_threshold: float = 0.5) -> Tensor:
    """Which objects of one frame one sounding query covers at ``IoU >= iou_threshold``.

    Args:
        query_masks (Tensor): bool ``[N, H, W]`` the queries' masks.
        sounding (Tensor): bool ``[N]`` the queries that predict a sounding class.
        object_masks (Tensor): bool ``[M, H, W]`` the objects' visible regions (non-empty).
        iou_threshold (float): Defaults to 0.5.

    Returns:
        Tensor: bool ``[M]``.
    """
    if object_masks.shape[-2:] != query_masks.shape[-2:]:
        raise ValueError(f'object masks {tuple(object_masks.shape[-2:])} and query masks '
                         f'{tuple(query_masks.shape[-2:])} differ in size')
    objects = object_masks.flatten(1).float()  # [M, H*W]
    if not bool(sounding.any()) or objects.shape[0] == 0:
        return torch.zeros(objects.shape[0], dtype=torch.bool)
    queries = query_masks[sounding].flatten(1).float()  # [Q, H*W]
    inter = objects @ queries.T  # [M, Q]
    union = objects.sum(1)[:, None] + queries.sum(1)[None] - inter
    iou = inter / union.clamp(min=1)
    return iou.amax(1) >= iou_threshold
