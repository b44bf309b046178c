"""Ground-truth instances of one annotated frame, from its label map.

Shared by the criterion (targets built on the host, ``build_frame_targets``) and the data
pipeline (``ClipInstanceTargets``, which builds them in the data workers so that a compiled
training step needs no host work), so that both give the same instances.
"""
from typing import List, Tuple

import numpy as np
from scipy import ndimage

__all__ = ['INSTANCE_MODES', 'binarize_labels', 'frame_instances']

#: How a frame's label map becomes instances: one per class present, or one per connected
#: component of each sounding class (the background stays one instance).
INSTANCE_MODES = ('semantic', 'components')
_EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)


def binarize_labels(labels: np.ndarray, ignore_index: int) -> np.ndarray:
    """Binary tasks: every non-zero label but ``ignore_index`` is "sounding" (1).

    Args:
        labels (np.ndarray): integer label map(s) of any shape.
        ignore_index (int): the label kept as it is.

    Returns:
        np.ndarray: the labels with each sounding label set to 1.
    """
    return np.where((labels != 0) & (labels != ignore_index), 1, labels)


def frame_instances(frame: np.ndarray, num_classes: int, mode: str,
                    ignore_index: int) -> List[Tuple[int, np.ndarray]]:
    """The ``(label, mask)`` instances of one annotated frame, background (class 0) first.

    Args:
        frame (np.ndarray): ``[H, W]`` integer labels (binary tasks: already 0/1, see
            :func:`binarize_labels`).
        num_classes (int): ``K`` real classes, background included.
        mode (str): ``'semantic'``: one instance per class present; ``'components'``: the
            background as one instance and every 8-connected component of each sounding
            class as its own (in ``scipy.ndimage.label`` order).
        ignore_index (int): label of pixels that belong to no instance.

    Returns:
        list[tuple[int, np.ndarray]]: class and ``[H, W]`` bool mask of each instance, by
        class, then component.

    Raises:
        ValueError: a label is neither in ``[0, num_classes)`` nor ``ignore_index``.
    """
    if mode not in INSTANCE_MODES:
        raise ValueError(f'instance mode must be one of {INSTANCE_MODES}, got {mode!r}')
    present = [int(c) for c in np.unique(frame) if c != ignore_index]
    unknown = [c for c in present if not 0 <= c < num_classes]
    if unknown:
        raise ValueError(f'ground-truth labels {unknown} are outside [0, {num_classes}) '
                         f'(num_classes={num_classes}) and are not ignore_index '
                         f'({ignore_index})')
    instances = []
    for c in present:
        mask = frame == c
        if mode == 'components' and c != 0:
            components, count = ndimage.label(mask, structure=_EIGHT_NEIGHBOURS)
            instances.extend((c, components == i) for i in range(1, count + 1))
        else:
            instances.append((c, mask))
    return instances
