"""The ground-truth instances of a clip's frames, built in the data pipeline."""
import warnings
from typing import List, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...structures import INSTANCE_MODES, binarize_labels, frame_instances

__all__ = ['ClipInstanceTargets', 'NO_INSTANCE']

#: ``gt_instance_map`` value of a pixel in no instance (ignored labels, frames without
#: annotation, instances dropped over ``max_instances``).
NO_INSTANCE = 255


@TRANSFORMS.register_module()
class ClipInstanceTargets(BaseTransform):
    """Labels each annotated frame's instances (the targets of eq. 13) in the data workers.

    The criterion's ``gt_instances='components'`` targets need the connected components of
    every sounding region (``scipy.ndimage.label``), which cannot run on the device. Built
    here, in the dataloader's worker processes, they reach the model as two fixed-shape
    tensors per clip, so that the training step builds its targets and matches them on the
    device without host synchronisation and compiles as one graph
    (``torch.compile(fullgraph=True)``, CUDA graphs). The instances are those the criterion
    builds itself from ``gt_sem_seg`` (same function, same order), padded to
    ``max_instances`` slots per frame.

    Put it last before :class:`PackAVSInputs`, after every step that changes the masks
    (resizing, flips, crops, negative audio), in the training pipeline only.

    A frame with more instances than ``max_instances`` (background included) is handled
    without losing pixels where possible, with a warning naming the clip and the frames:
    with ``'components'`` the frame gets one instance per class instead (``'semantic'``);
    if its classes alone are still too many, the smallest instances are dropped and their
    pixels belong to no instance.

    Required Keys:

    - gt_masks (``[T, H, W]`` integer labels, 0 = background).
    - gt_valid (list[bool], optional): annotated frames; the others get no instance.
      Defaults to every frame.

    Added Keys:

    - gt_instance_map (np.uint8 ``[T, H, W]``): the slot of each pixel, :data:`NO_INSTANCE`
      (255) for none.
    - gt_instance_labels (np.int64 ``[T, max_instances]``): the class of each slot, -1 for
      an empty slot.
    - instance_mode (str), instance_num_classes (int): ``mode`` and ``num_classes``; the
      model uses the maps when they equal its criterion's ``gt_instances`` and
      ``num_classes``.

    Args:
        mode (str): ``'components'`` (background + each connected component of each
            sounding class) or ``'semantic'`` (one instance per class present). Defaults to
            ``'components'``, the configs' criterion default.
        max_instances (int): slots per frame, background included, in ``[2, 255]``. The
            compiled matching grows with it (``M (M + 1) / 2`` solver steps per training step).
            Defaults to 8.
        num_classes (int): ``K`` real classes, background included (S4/MS3: 2, where every
            non-zero label but ``ignore_index`` is "sounding"; AVSBench-semantic: 71).
            Defaults to 2.
        ignore_index (int): label of pixels in no instance. Defaults to 255.
    """

    def __init__(self,
                 mode: str = 'components',
                 max_instances: int = 8,
                 num_classes: int = 2,
                 ignore_index: int = 255) -> None:
        if mode not in INSTANCE_MODES:
            raise ValueError(f'ClipInstanceTargets: mode must be one of {INSTANCE_MODES}, got '
                             f'{mode!r}')
        if not isinstance(max_instances, int) or not 2 <= max_instances <= NO_INSTANCE:
            raise ValueError(f'ClipInstanceTargets: max_instances must be an int in [2, '
                             f'{NO_INSTANCE}] (background and at least one object), got '
                             f'{max_instances!r}')
        if num_classes < 2:
            raise ValueError(f'ClipInstanceTargets: num_classes counts the background too '
                             f'(S4/MS3: 2), got {num_classes}')
        self.mode = mode
        self.max_instances = max_instances
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        if 'gt_masks' not in results:
            raise KeyError('ClipInstanceTargets: results has no "gt_masks"; put it after the '
                           'mask loading (LoadClipMasks / LoadClipSemanticLabels)')
        labels = np.asarray(results['gt_masks'])
        if labels.ndim != 3:
            raise ValueError(f'ClipInstanceTargets: gt_masks must be [T, H, W], got '
                             f'{labels.shape}')
        num_frames = labels.shape[0]
        annotated = results.get('gt_valid', [True] * num_frames)
        if len(annotated) != num_frames:
            raise ValueError(f'ClipInstanceTargets: gt_valid has {len(annotated)} flags for '
                             f'{num_frames} frames of clip {results.get("video_name")!r}')
        if self.num_classes == 2:
            labels = binarize_labels(labels, self.ignore_index)
        instance_map = np.full(labels.shape, NO_INSTANCE, dtype=np.uint8)
        instance_labels = np.full((num_frames, self.max_instances), -1, dtype=np.int64)
        notes = []
        for t in range(num_frames):
            if not annotated[t]:
                continue
            try:
                instances, note = self._frame(labels[t])
            except ValueError as err:
                raise ValueError(f'ClipInstanceTargets: clip {results.get("video_name")!r} '
                                 f'frame {t}: {err}') from err
            if note:
                notes.append(f'frame {t}: {note}')
            for slot, (label, mask) in enumerate(instances):
                instance_map[t][mask] = slot
                instance_labels[t, slot] = label
        if notes:
            where = '/'.join(str(results[k]) for k in ('subset', 'split') if results.get(k))
            warnings.warn(f'ClipInstanceTargets: clip {results.get("video_name")!r}'
                          f'{f" ({where})" if where else ""} has frames with more than '
                          f'max_instances={self.max_instances} instances: ' + '; '.join(notes))
        results['gt_instance_map'] = instance_map
        results['gt_instance_labels'] = instance_labels
        results['instance_mode'] = self.mode
        results['instance_num_classes'] = self.num_classes
        return results

    def _frame(self, frame: np.ndarray) -> Tuple[List[Tuple[int, np.ndarray]], str]:
        """At most ``max_instances`` instances of one frame, and what was changed ('' if
        nothing)."""
        instances = frame_instances(frame, self.num_classes, self.mode, self.ignore_index)
        if len(instances) <= self.max_instances:
            return instances, ''
        note = f'{len(instances)} {self.mode} instances'
        if self.mode == 'components':
            instances = frame_instances(frame, self.num_classes, 'semantic', self.ignore_index)
            note += f', given one instance per class ({len(instances)})'
            if len(instances) <= self.max_instances:
                return instances, note
        sizes = [int(mask.sum()) for _, mask in instances]
        by_size = sorted(range(len(instances)), key=lambda i: -sizes[i])  # stable
        dropped = sorted(by_size[self.max_instances:])
        kept = sorted(by_size[:self.max_instances])
        note += ', dropped ' + ', '.join(f'class {instances[i][0]} ({sizes[i]} pixels)'
                                          for i in dropped)
        return [instances[i] for i in kept], note

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(mode={self.mode!r}, max_instances={self.max_instances}, '
                f'num_classes={self.num_classes}, ignore_index={self.ignore_index})')
