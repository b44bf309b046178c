"""Ground-truth instances per frame for mask classification (the targets of eq. 13).

As mmseg's ``Mask2FormerHead._seg_data_to_instance_data``: a frame's semantic label map
``[H, W]`` (class 0 = background, ``1 .. K-1`` = sounding categories; S4/MS3: K = 2) becomes
one instance per class present, background included. Three modes:

- ``'semantic'``: one instance per class present (background included).
- ``'components'``: the background as one instance, and every connected component of each
  sounding class as its own instance (an "instance-level" reading for frames where several
  objects of one class sound).
- ``'union'``: one instance per frame, the union of every sounding pixel, labelled 1; the
  background is no target (the formulation before semantic mask classification, kept to
  reproduce it in the ablation; binary tasks only).

Frames without annotation (S4 train frames 2-5) have no instance. The instances of a batch
are padded to ``M`` slots per frame with a ``valid`` flag, so that matching and losses run
batched. Three sources, the same instances:

- binary ``'semantic'`` (``M = 2``) and ``'union'`` (``M = 1``) targets come from the label
  map on the device, without host synchronisation (:func:`build_frame_targets`);
- the instance maps of the data pipeline (``ClipInstanceTargets``: ``M`` = its
  ``max_instances``, labelled in the data workers) become slots on the device, without host
  synchronisation either (:func:`instance_map_targets`);
- otherwise the targets are built frame by frame on the host (numpy, scipy), a function that
  ``torch.compile`` leaves out (a graph break, instead of tracing into numpy and scipy).
"""
from typing import List, NamedTuple

import numpy as np
import torch
from mmengine.structures import InstanceData
from torch import Tensor

from ...structures import binarize_labels, frame_instances

__all__ = [
    'GT_INSTANCE_MODES', 'FrameTargets', 'build_frame_targets', 'instance_map_targets',
    'targets_to_instances'
]

GT_INSTANCE_MODES = ('semantic', 'components', 'union')


class FrameTargets(NamedTuple):
    """Padded ground-truth instances of ``F`` frames, ``M`` slots each.

    Attributes:
        labels (Tensor): ``[F, M]`` long class of each slot.
        masks (Tensor): ``[F, M, H, W]`` bool instance masks.
        valid (Tensor): ``[F, M]`` bool, the slot holds an instance.
    """
    labels: Tensor
    masks: Tensor
    valid: Tensor


def _binary_semantic(gt: Tensor, gt_valid: Tensor, ignore_index: int) -> FrameTargets:
    """Binary frames: slot 0 background, slot 1 sounding, without host synchronisation."""
    known = gt != ignore_index
    foreground = (gt != 0) & known  # any non-zero label is "sounding", as the mask loader
    masks = torch.stack([(gt == 0) & known, foreground], 1)  # [F, 2, H, W]
    valid = masks.flatten(2).any(2) & gt_valid[:, None]  # [F, 2]
    labels = torch.arange(2, device=gt.device).expand(gt.shape[0], 2)
    return FrameTargets(labels, masks, valid)


def _binary_union(gt: Tensor, gt_valid: Tensor, ignore_index: int) -> FrameTargets:
    foreground = ((gt != 0) & (gt != ignore_index))[:, None]  # [F, 1, H, W]
    valid = foreground.flatten(2).any(2) & gt_valid[:, None]  # [F, 1]
    labels = torch.ones_like(valid, dtype=torch.long)
    return FrameTargets(labels, foreground, valid)


def build_frame_targets(gt_sem_seg: Tensor,
                        gt_valid: Tensor,
                        num_classes: int,
                        mode: str = 'semantic',
                        ignore_index: int = 255) -> FrameTargets:
    """Ground-truth instances of every frame, padded to a common number of slots.

    Args:
        gt_sem_seg (Tensor): ``[F, H, W]`` integer labels (0 = background). For
            ``num_classes = 2`` any non-zero label other than ``ignore_index`` is
            "sounding". ``LoadClipMasks`` gives 0/1; a loader of its own that keeps
            AVSBench's 0/255 must binarise, or set another ``ignore_index``: with the
            default 255 those pixels would be ignored.
        gt_valid (Tensor): ``[F]`` bool, the frame is annotated.
        num_classes (int): ``K`` real classes, background included.
        mode (str): ``'semantic'``, ``'components'`` or ``'union'`` (see the module doc).
        ignore_index (int): label of pixels that belong to no instance. Defaults to 255.

    Returns:
        FrameTargets: ``M = 2`` slots (background, sounding) for binary ``'semantic'``
        targets and ``M = 1`` for ``'union'``; otherwise ``M`` = the most instances of any
        frame (at least 1), built per frame on the host.
    """
    if mode not in GT_INSTANCE_MODES:
        raise ValueError(f'gt_instances must be one of {GT_INSTANCE_MODES}, got {mode!r}')
    gt_valid = gt_valid.to(device=gt_sem_seg.device, dtype=torch.bool)
    if num_classes == 2 and mode == 'semantic':
        return _binary_semantic(gt_sem_seg, gt_valid, ignore_index)
    if mode == 'union':
        if num_classes != 2:
            raise ValueError(f"gt_instances='union' is for binary tasks (num_classes=2), "
                             f'got num_classes={num_classes}')
        return _binary_union(gt_sem_seg, gt_valid, ignore_index)
    return _host_frame_targets(gt_sem_seg, gt_valid, num_classes, mode, ignore_index)


@torch.compiler.disable
def _host_frame_targets(gt_sem_seg: Tensor, gt_valid: Tensor, num_classes: int, mode: str,
                        ignore_index: int) -> FrameTargets:
    """The targets built frame by frame on the host (numpy, ``scipy.ndimage.label``); a
    compiled step runs this eagerly between two graphs. Arguments and return value as
    :func:`build_frame_targets`."""
    labels_np = gt_sem_seg.cpu().numpy()
    if num_classes == 2:  # binary: every non-zero, non-ignored label is "sounding"
        labels_np = binarize_labels(labels_np, ignore_index)
    per_frame = [
        frame_instances(labels_np[f], num_classes, mode, ignore_index) if valid else []
        for f, valid in enumerate(gt_valid.tolist())
    ]
    num_frames, (height, width) = gt_sem_seg.shape[0], gt_sem_seg.shape[-2:]
    slots = max([len(instances) for instances in per_frame] + [1])
    labels = np.zeros((num_frames, slots), dtype=np.int64)
    masks = np.zeros((num_frames, slots, height, width), dtype=bool)
    valid = np.zeros((num_frames, slots), dtype=bool)
    for f, instances in enumerate(per_frame):
        for m, (label, mask) in enumerate(instances):
            labels[f, m], masks[f, m], valid[f, m] = label, mask, True
    device = gt_sem_seg.device
    return FrameTargets(
        torch.from_numpy(labels).to(device), torch.from_numpy(masks).to(device),
        torch.from_numpy(valid).to(device))


def instance_map_targets(instance_map: Tensor, instance_labels: Tensor,
                         gt_valid: Tensor) -> FrameTargets:
    """Instance slots from the data pipeline's instance maps, without host synchronisation.

    Args:
        instance_map (Tensor): ``[F, H, W]`` integer slot of each pixel (``ClipInstanceTargets``);
            a value of ``M`` or more (255) puts the pixel in no slot.
        instance_labels (Tensor): ``[F, M]`` class of each slot, -1 for an empty slot.
        gt_valid (Tensor): ``[F]`` bool, the frame is annotated.

    Returns:
        FrameTargets: ``M`` slots per frame (a static shape: one compiled graph for every
        batch).
    """
    if instance_map.dim() != 3 or instance_labels.dim() != 2 or \
            instance_map.shape[0] != instance_labels.shape[0]:
        raise ValueError(f'instance maps [F, H, W] and labels [F, M] expected, got '
                         f'{tuple(instance_map.shape)} and {tuple(instance_labels.shape)}')
    slots = torch.arange(instance_labels.shape[1], device=instance_map.device)
    # (F, H, W) == (M,) -> (F, M, H, W): slot m's mask
    masks = instance_map[:, None].long() == slots[None, :, None, None]
    valid = (instance_labels >= 0) & masks.flatten(2).any(2) & \
        gt_valid.to(device=instance_map.device, dtype=torch.bool)[:, None]  # [F, M]
    return FrameTargets(instance_labels.long().clamp(min=0), masks, valid)


def targets_to_instances(targets: FrameTargets) -> List[InstanceData]:
    """Per frame, the valid slots as an ``InstanceData`` (``labels``, long ``masks``), the
    form mmseg's ``HungarianAssigner`` and ``MatchMasks`` take."""
    instances = []
    for labels, masks, valid in zip(*targets):
        instances.append(InstanceData(labels=labels[valid], masks=masks[valid].long()))
    return instances
