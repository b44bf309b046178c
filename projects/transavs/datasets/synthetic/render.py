"""Drawing a synthetic video's frames and masks and synthesising its sound from its plan.

The frames show every object of the plan on a textured, noisy background; the ground-truth
masks cover ONLY the sounding objects, so a model has to use the audio to be right.
"""
import math
from typing import Tuple

import cv2
import numpy as np

from .categories import CATEGORIES, category_colour, category_shape, category_sound_params
from .plan import CLIP_SECONDS, NUM_FRAMES, SAMPLE_RATE, VideoPlan

__all__ = ['render_frames', 'render_audio']


def _shape_mask(shape: str, size: int, cx: float, cy: float, r: float,
                angle: float) -> np.ndarray:
    """A bool ``[size, size]`` mask of one shape centred at ``(cx, cy)`` pixels."""
    canvas = np.zeros((size, size), np.uint8)
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


def render_frames(plan: VideoPlan, size: int,
                  num_frames: int = NUM_FRAMES) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draws a video's frames, its sounding-object masks and its every-object masks.

    Args:
        plan (VideoPlan): The video.
        size (int): Frame side in pixels.
        num_frames (int): Frames to draw. Defaults to 5.

    Returns:
        tuple: RGB frames (np.uint8 ``[T, size, size, 3]``), masks (np.bool_
        ``[T, size, size]``, True on the visible pixels of the sounding objects) and object
        masks (the same for every object, silent or not: the answer of an audio-blind
        "segment every object" reference).
    """
    rng = plan.rng(1)
    # Textured background: a low-saturation tint, smooth blobs, per-frame grain.
    tint = rng.uniform(70, 170) + rng.uniform(-15, 15, size=3)
    coarse = rng.uniform(-40, 40, size=(7, 7, 1)) + rng.uniform(-8, 8, size=(7, 7, 3))
    blobs = cv2.resize(coarse.astype(np.float32), (size, size),
                       interpolation=cv2.INTER_CUBIC)  # [size, size, 3], mostly grey
    background = tint.astype(np.float32) + blobs
    frames = np.empty((num_frames, size, size, 3), np.uint8)
    masks = np.zeros((num_frames, size, size), bool)
    objects = np.zeros((num_frames, size, size), bool)
    for t in range(num_frames):
        img = background + rng.normal(0, 8, size=(size, size, 3)).astype(np.float32)
        owner = np.full((size, size), -1, np.int16)  # which object shows at each pixel
        for k, obj in enumerate(plan.objects):
            cat = CATEGORIES.index(obj.category)
            cx = (obj.centre[0] + obj.velocity[0] * t) * size
            cy = (obj.centre[1] + obj.velocity[1] * t) * size
            r = obj.radius * size * (1.0 + 0.04 * math.sin(obj.angle + 1.3 * t))
            region = _shape_mask(category_shape(cat), size, cx, cy, r, obj.angle + obj.spin * t)
            img[region] = np.asarray(category_colour(cat), np.float32) + rng.normal(
                0, 6, size=(int(region.sum()), 3))
            owner[region] = k
        frames[t] = np.clip(np.round(img), 0, 255).astype(np.uint8)
        for k, obj in enumerate(plan.objects):
            if obj.sounding:
                masks[t] |= owner == k
        objects[t] = owner >= 0
    return frames, masks, objects


def render_audio(plan: VideoPlan, sample_rate: int = SAMPLE_RATE,
                 seconds: int = CLIP_SECONDS) -> np.ndarray:
    """The clip's sound: the mix of its sounding categories' signatures plus a little noise.

    Args:
        plan (VideoPlan): The video.
        sample_rate (int): Samples per second. Defaults to 16000.
        seconds (int): The clip length. Defaults to 5.

    Returns:
        np.ndarray: int16 ``[seconds * sample_rate]`` mono samples.
    """
    rng = plan.rng(2)
    time = np.arange(seconds * sample_rate) / sample_rate
    wave = rng.normal(0, 0.01, size=time.shape)
    for category in plan.sounding_categories:
        params = category_sound_params(CATEGORIES.index(category))
        tone = sum(a * np.sin(2 * math.pi * f * time + rng.uniform(0, 2 * math.pi))
                   for f, a in zip(params['freqs'], params['amps']))
        envelope = 1.0 - params['am_depth'] * 0.5 * (
            1 + np.sin(2 * math.pi * params['am_rate'] * time + rng.uniform(0, 2 * math.pi)))
        wave += rng.uniform(0.7, 1.0) * tone * envelope / sum(params['amps'])
    wave *= 0.8 / max(np.abs(wave).max(), 1e-6)
    return np.round(wave * 32767).astype(np.int16)
