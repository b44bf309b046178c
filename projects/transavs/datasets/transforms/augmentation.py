"""Clip-consistent augmentation: one random draw per clip, applied to all its ``T`` frames.

The frames of a clip are views of one scene over time and share one audio track, so every
random decision (flip or not, crop box, colour factors) is drawn ONCE per clip and applied
identically to every frame and its mask. Random numbers come from ``np.random`` (seeded by
mmengine per worker), as in mmcv's transforms.
"""
import math
from typing import Dict, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

__all__ = ['ClipRandomFlip', 'ClipRandomResizedCrop', 'ClipPhotoMetricDistortion']


def _check_prob(prob: float, name: str) -> float:
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f'{name}: prob must be in [0, 1], got {prob!r}')
    return float(prob)


def _check_range(value: Sequence[float], name: str, arg: str,
                 low: float = -math.inf, high: float = math.inf) -> Tuple[float, float]:
    if len(value) != 2 or not low <= value[0] <= value[1] <= high:
        raise ValueError(f'{name}: {arg} must be (min, max) with {low} <= min <= max <= {high}, '
                         f'got {value!r}')
    return float(value[0]), float(value[1])


@TRANSFORMS.register_module()
class ClipRandomFlip(BaseTransform):
    """Flips all frames and masks of a clip together, with probability ``prob``.

    Required Keys: frames (np.uint8 ``[T, H, W, 3]``); gt_masks (``[T, H, W]``, optional).

    Modified Keys: frames, gt_masks.

    Added Keys: flip (bool), flip_direction (str | None).

    Args:
        prob (float): Probability to flip the clip. Defaults to 0.5.
        direction (str): 'horizontal', 'vertical' or 'diagonal'. Defaults to 'horizontal'.
    """

    _AXES = dict(horizontal=(2, ), vertical=(1, ), diagonal=(1, 2))  # axes of [T, H, W, ...]

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal') -> None:
        self.prob = _check_prob(prob, type(self).__name__)
        if direction not in self._AXES:
            raise ValueError(f'{type(self).__name__}: direction must be one of '
                             f'{tuple(self._AXES)}, got {direction!r}')
        self.direction = direction

    def transform(self, results: dict) -> dict:
        flip = bool(np.random.rand() < self.prob)  # one draw for the whole clip
        results['flip'] = flip
        results['flip_direction'] = self.direction if flip else None
        if flip:
            axes = self._AXES[self.direction]
            for key in ('frames', 'gt_masks'):
                if key in results:
                    results[key] = np.ascontiguousarray(np.flip(results[key], axis=axes))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, direction={self.direction!r})'


@TRANSFORMS.register_module()
class ClipRandomResizedCrop(BaseTransform):
    """Crops one random box from every frame of a clip and resizes it back to the frame size.

    The box covers a fraction of the frame area drawn from ``scale`` with an aspect ratio
    (w / h) drawn log-uniformly from ``ratio`` (up to 10 tries, then the largest centred box
    of an allowed ratio). Frames are resized with ``interpolation``, masks with nearest.

    Required Keys: frames (np.uint8 ``[T, H, W, 3]``); gt_masks (``[T, H, W]``, optional).

    Modified Keys: frames, gt_masks (same ``H, W`` as before).

    Added Keys: crop_bbox (tuple ``(x1, y1, x2, y2)`` in input pixels, end exclusive; None when
    the clip was not cropped).

    Args:
        scale (tuple[float, float]): Range of the box's area fraction. Defaults to (0.5, 1.0).
        ratio (tuple[float, float]): Range of the box's aspect ratio w / h.
            Defaults to (3 / 4, 4 / 3).
        prob (float): Probability to crop the clip. Defaults to 1.0.
        interpolation (str): mmcv interpolation for the frames. Defaults to 'bilinear'.
    """

    def __init__(self,
                 scale: Sequence[float] = (0.5, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3),
                 prob: float = 1.0,
                 interpolation: str = 'bilinear') -> None:
        name = type(self).__name__
        self.scale = _check_range(scale, name, 'scale', 1e-6, 1.0)
        self.ratio = _check_range(ratio, name, 'ratio', 1e-6)
        self.prob = _check_prob(prob, name)
        self.interpolation = interpolation

    def _sample_box(self, height: int, width: int) -> Tuple[int, int, int, int]:
        """One box ``(x1, y1, x2, y2)`` inside an ``height x width`` frame."""
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * np.random.uniform(*self.scale)
            aspect = math.exp(np.random.uniform(*log_ratio))
            w = int(round(math.sqrt(target * aspect)))
            h = int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                x1 = int(np.random.randint(0, width - w + 1))
                y1 = int(np.random.randint(0, height - h + 1))
                return x1, y1, x1 + w, y1 + h
        # Fallback: the largest centred box whose ratio is clamped into the allowed range.
        aspect = min(max(width / height, self.ratio[0]), self.ratio[1])
        if width / height <= aspect:  # frame too tall for the ratio: full width
            w, h = width, min(height, int(round(width / aspect)))
        else:  # frame too wide: full height
            w, h = min(width, int(round(height * aspect))), height
        x1, y1 = (width - w) // 2, (height - h) // 2
        return x1, y1, x1 + w, y1 + h

    def transform(self, results: dict) -> dict:
        frames = results['frames']  # [T, H, W, 3]
        height, width = frames.shape[1:3]
        if np.random.rand() >= self.prob:
            results['crop_bbox'] = None
            return results
        x1, y1, x2, y2 = self._sample_box(height, width)  # one box for the whole clip
        results['crop_bbox'] = (x1, y1, x2, y2)
        results['frames'] = np.stack([
            mmcv.imresize(f[y1:y2, x1:x2], (width, height), interpolation=self.interpolation)
            for f in frames])
        if 'gt_masks' in results:
            results['gt_masks'] = np.stack([
                mmcv.imresize(np.ascontiguousarray(m[y1:y2, x1:x2]), (width, height),
                              interpolation='nearest') for m in results['gt_masks']])
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, ratio={self.ratio}, '
                f'prob={self.prob}, interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class ClipPhotoMetricDistortion(BaseTransform):
    """Colour jitter with one draw per clip: brightness, contrast, saturation, hue.

    Each of the four operations is applied with probability ``prob`` and, when applied, with
    one factor drawn uniformly from its range for the whole clip; they run in that order on
    every frame through mmcv's :func:`mmcv.adjust_brightness`, :func:`mmcv.adjust_contrast`,
    :func:`mmcv.adjust_color` (saturation) and :func:`mmcv.adjust_hue`. (Contrast blends each
    frame with its own mean grey, as mmcv does for one image.) A range ``None`` disables an
    operation. Masks are untouched.

    Required Keys: frames (np.uint8 ``[T, H, W, 3]``, RGB).

    Modified Keys: frames.

    Added Keys: photometric (dict): the factors applied, e.g. ``{'brightness': 1.1}``.

    Args:
        brightness (tuple[float, float], optional): Range of the brightness factor
            (1 = unchanged). Defaults to (0.75, 1.25).
        contrast (tuple[float, float], optional): Range of the contrast factor.
            Defaults to (0.5, 1.5).
        saturation (tuple[float, float], optional): Range of the saturation factor.
            Defaults to (0.5, 1.5).
        hue (tuple[float, float], optional): Range of the hue shift in turns, within
            ``[-0.5, 0.5]``. Defaults to (-0.05, 0.05).
        prob (float): Probability of each operation. Defaults to 0.5.
    """

    def __init__(self,
                 brightness: Optional[Sequence[float]] = (0.75, 1.25),
                 contrast: Optional[Sequence[float]] = (0.5, 1.5),
                 saturation: Optional[Sequence[float]] = (0.5, 1.5),
                 hue: Optional[Sequence[float]] = (-0.05, 0.05),
                 prob: float = 0.5) -> None:
        name = type(self).__name__
        self.ranges: Dict[str, Optional[Tuple[float, float]]] = dict(
            brightness=None if brightness is None else _check_range(
                brightness, name, 'brightness', 0.0),
            contrast=None if contrast is None else _check_range(contrast, name, 'contrast', 0.0),
            saturation=None if saturation is None else _check_range(
                saturation, name, 'saturation', 0.0),
            hue=None if hue is None else _check_range(hue, name, 'hue', -0.5, 0.5))
        self.prob = _check_prob(prob, name)

    @staticmethod
    def _apply(frame: np.ndarray, op: str, factor: float) -> np.ndarray:
        """One operation on one RGB frame ``[H, W, 3]`` (mmcv's helpers expect BGR)."""
        bgr = np.ascontiguousarray(frame[..., ::-1])
        if op == 'brightness':
            bgr = mmcv.adjust_brightness(bgr, factor)
        elif op == 'contrast':
            bgr = mmcv.adjust_contrast(bgr, factor)
        elif op == 'saturation':
            bgr = mmcv.adjust_color(bgr, factor)
        else:
            bgr = mmcv.adjust_hue(bgr, factor)
        return np.ascontiguousarray(bgr[..., ::-1])

    def transform(self, results: dict) -> dict:
        applied = {}
        for op, value_range in self.ranges.items():  # one draw per clip and operation
            if value_range is not None and np.random.rand() < self.prob:
                applied[op] = float(np.random.uniform(*value_range))
        frames = results['frames']  # [T, H, W, 3]
        if applied:
            out = []
            for frame in frames:
                for op, factor in applied.items():
                    frame = self._apply(frame, op, factor)
                out.append(frame)
            results['frames'] = np.stack(out).astype(np.uint8)
        results['photometric'] = applied
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ranges={self.ranges}, prob={self.prob})'
