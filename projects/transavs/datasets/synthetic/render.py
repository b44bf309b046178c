"""Drawing a synthetic video's frames and masks and synthesising its sound from its plan.

The frames show every object of the plan on a textured, noisy background. One drawing gives
the frames and, per pixel, which object is visible there (:func:`render_owners`); the ground
truth comes from it: binary masks (v1) or class labels (AVSBench-semantic) that cover ONLY
the sounding objects, so a model has to use the audio to be right. The same owners give the
answer of an audio-blind "segment every object" reference (the every-object masks and
labels).

Frames may be of any ``(width, height)``: an object's centre is a fraction of the width and
the height, its radius a fraction of the shorter side, so shapes are never stretched.
"""
import math
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .categories import (
    CATEGORIES,
    SEMANTIC_CATEGORIES,
    category_colour,
    category_index,
    category_shape,
    category_sound_params,
)
from .plan import SAMPLE_RATE, VideoPlan

__all__ = ['render_owners', 'render_frames', 'owners_to_labels', 'render_semantic',
           'render_audio', 'class_index']

Size = Union[int, Sequence[int]]


def _frame_size(size: Size) -> Tuple[int, int]:
    """``(width, height)`` of a frame size given as a side or as ``(w, h)``."""
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    width, height = size
    return int(width), int(height)


def _shape_mask(shape: str, width: int, height: int, cx: float, cy: float, r: float,
                angle: float) -> np.ndarray:
    """A bool ``[height, width]`` mask of one shape centred at ``(cx, cy)`` pixels."""
    canvas = np.zeros((height, width), np.uint8)
    centre = (int(round(cx)), int(round(cy)))

    if shape == 'circle':
        cv2.circle(canvas, centre, int(round(r)), 1, -1)
    elif shape == 'ring':
        cv2.circle(canvas, centre, int(round(r)), 1, -1)
        cv2.circle(canvas, centre, int(round(0.5 * r)), 0, -1)
    elif shape == 'crescent':
        cv2.circle(canvas, centre, int(round(r)), 1, -1)
        off = (int(round(cx + 0.45 * r * math.cos(angle))),
               int(round(cy + 0.45 * r * math.sin(angle))))
        cv2.circle(canvas, off, int(round(0.8 * r)), 0, -1)
    elif shape == 'ellipse':
        cv2.ellipse(canvas, centre, (int(round(r)), int(round(0.5 * r))),
                    math.degrees(angle), 0, 360, 1, -1)
    elif shape == 'cross':  # a plus with arms of half-width 0.28 r
        w = 0.28 * r
        base = np.array([[w, r], [w, w], [r, w], [r, -w], [w, -w], [w, -r], [-w, -r],
                         [-w, -w], [-r, -w], [-r, w], [-w, w], [-w, r]])  # [12, 2] (x, y)
        rot = np.array([[math.cos(angle), -math.sin(angle)],
                        [math.sin(angle), math.cos(angle)]])
        cv2.fillPoly(canvas, [np.round(base @ rot.T + [cx, cy]).astype(np.int32)], 1)
    else:  # star-shaped polygons: vertex radii at equal angular steps
        radii = dict(square=[r] * 4, triangle=[r] * 3, hexagon=[r] * 6, pentagon=[r] * 5,
                     star=[r, 0.45 * r] * 5, diamond=[r, 0.55 * r] * 2,
                     kite=[r, 0.5 * r, 0.3 * r, 0.5 * r])[shape]
        theta = angle + 2 * math.pi * np.arange(len(radii)) / len(radii)
        pts = np.stack([cx + np.asarray(radii) * np.cos(theta),
                        cy + np.asarray(radii) * np.sin(theta)], axis=1)  # [V, 2] (x, y)
        cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 1)
    return canvas.astype(bool)


def render_owners(plan: VideoPlan, size: Size,
                  num_frames: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Draws a video's frames and which object is visible at each pixel.

    Args:
        plan (VideoPlan): The video.
        size (int | tuple[int, int]): The frame side, or ``(width, height)``, in pixels.
        num_frames (int, optional): Frames to draw. Defaults to the plan's (10 for v2, else
            5).

    Returns:
        tuple: RGB frames (np.uint8 ``[T, H, W, 3]``) and owners (np.int16 ``[T, H, W]``: the
        index in ``plan.objects`` of the object visible at each pixel, -1 on the background).
    """
    width, height = _frame_size(size)
    num_frames = plan.num_frames if num_frames is None else num_frames
    short = min(width, height)
    rng = plan.rng(1)
    # Textured background: a low-saturation tint, smooth blobs, per-frame grain.
    tint = rng.uniform(70, 170) + rng.uniform(-15, 15, size=3)
    coarse = rng.uniform(-40, 40, size=(7, 7, 1)) + rng.uniform(-8, 8, size=(7, 7, 3))
    blobs = cv2.resize(coarse.astype(np.float32), (width, height),
                       interpolation=cv2.INTER_CUBIC)  # [H, W, 3], mostly grey
    background = tint.astype(np.float32) + blobs
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    owners = np.full((num_frames, height, width), -1, np.int16)
    for t in range(num_frames):
        img = background + rng.normal(0, 8, size=(height, width, 3)).astype(np.float32)
        for k, obj in enumerate(plan.objects):
            cat = category_index(obj.category)
            cx = (obj.centre[0] + obj.velocity[0] * t) * width
            cy = (obj.centre[1] + obj.velocity[1] * t) * height
            r = obj.radius * short * (1.0 + 0.04 * math.sin(obj.angle + 1.3 * t))
            region = _shape_mask(category_shape(cat), width, height, cx, cy, r,
                                 obj.angle + obj.spin * t)
            img[region] = np.asarray(category_colour(cat), np.float32) + rng.normal(
                0, 6, size=(int(region.sum()), 3))
            owners[t][region] = k  # later objects occlude earlier ones
        frames[t] = np.clip(np.round(img), 0, 255).astype(np.uint8)
    return frames, owners


def render_frames(plan: VideoPlan, size: Size,
                  num_frames: Optional[int] = None
                  ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draws a video's frames, its sounding-object masks and its every-object masks.

    Args:
        plan (VideoPlan): The video.
        size (int | tuple[int, int]): The frame side, or ``(width, height)``, in pixels.
        num_frames (int, optional): Frames to draw. Defaults to the plan's (10 for v2, else
            5).

    Returns:
        tuple: RGB frames (np.uint8 ``[T, H, W, 3]``), masks (np.bool_ ``[T, H, W]``, True on
        the visible pixels of the sounding objects) and object masks (the same for every
        object, silent or not: the answer of an audio-blind "segment every object"
        reference).
    """
    frames, owners = render_owners(plan, size, num_frames)
    sounding = [k for k, obj in enumerate(plan.objects) if obj.sounding]
    return frames, np.isin(owners, sounding), owners >= 0


def class_index(plan: VideoPlan, category: str) -> int:
    """The semantic class of a category of a plan (0 is the background).

    Args:
        plan (VideoPlan): The video.
        category (str): One of its categories.

    Returns:
        int: AVSBench-semantic plans: the category's class in ``AVSS_CLASSES`` (1 .. 70);
        S4 / MS3 plans: its index in :data:`CATEGORIES` plus one.
    """
    if plan.semantic:
        return SEMANTIC_CATEGORIES.index(category) + 1
    return CATEGORIES.index(category) + 1


def owners_to_labels(plan: VideoPlan, owners: np.ndarray,
                     sounding_only: bool = True) -> np.ndarray:
    """Class labels from the owners of :func:`render_owners`.

    Args:
        plan (VideoPlan): The video the owners were drawn from.
        owners (np.ndarray): int ``[...]`` object indices, -1 on the background.
        sounding_only (bool): True: the ground truth (the classes of the sounding objects,
            0 on silent objects); False: every object's class (the answer of an audio-blind
            "segment every object with its class" reference). Defaults to True.

    Returns:
        np.ndarray: uint8 labels of the shape of ``owners``; 0 is the background.
    """
    table = np.zeros(len(plan.objects) + 1, np.uint8)  # owner -1 -> the last entry, 0
    for k, obj in enumerate(plan.objects):
        if obj.sounding or not sounding_only:
            table[k] = class_index(plan, obj.category)
    return table[owners]


def render_semantic(plan: VideoPlan, frame_size: Size,
                    num_frames: Optional[int] = None
                    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draws a video's frames, its semantic labels and its every-object labels.

    Args:
        plan (VideoPlan): The video (AVSBench-semantic: categories are AVSS classes).
        frame_size (int | tuple[int, int]): ``(width, height)`` (or one side) in pixels.
        num_frames (int, optional): Frames to draw. Defaults to the plan's (10 for v2, else
            5).

    Returns:
        tuple: RGB frames (np.uint8 ``[T, H, W, 3]``), labels (np.uint8 ``[T, H, W]``: the
        class of the sounding object visible at each pixel, 0 elsewhere, silent objects
        included) and object labels (every object's class, silent or not).
    """
    frames, owners = render_owners(plan, frame_size, num_frames)
    return (frames, owners_to_labels(plan, owners),
            owners_to_labels(plan, owners, sounding_only=False))


def render_audio(plan: VideoPlan, sample_rate: int = SAMPLE_RATE,
                 seconds: Optional[int] = None) -> np.ndarray:
    """The clip's sound: the mix of its sounding categories' signatures plus a little noise.

    Args:
        plan (VideoPlan): The video.
        sample_rate (int): Samples per second. Defaults to 16000.
        seconds (int, optional): The clip length. Defaults to one second per frame of the
            plan (10 for v2, else 5).

    Returns:
        np.ndarray: int16 ``[seconds * sample_rate]`` mono samples.
    """
    seconds = plan.num_frames if seconds is None else seconds
    rng = plan.rng(2)
    time = np.arange(seconds * sample_rate) / sample_rate
    wave = rng.normal(0, 0.01, size=time.shape)
    for category in plan.sounding_categories:
        params = category_sound_params(category_index(category))
        tone = sum(a * np.sin(2 * math.pi * f * time + rng.uniform(0, 2 * math.pi))
                   for f, a in zip(params['freqs'], params['amps']))
        envelope = 1.0 - params['am_depth'] * 0.5 * (
            1 + np.sin(2 * math.pi * params['am_rate'] * time + rng.uniform(0, 2 * math.pi)))
        wave += rng.uniform(0.7, 1.0) * tone * envelope / sum(params['amps'])
    wave *= 0.8 / max(np.abs(wave).max(), 1e-6)
    return np.round(wave * 32767).astype(np.int16)
