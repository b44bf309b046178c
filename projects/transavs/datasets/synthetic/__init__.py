"""Synthetic AVSBench v1 data (S4 or MS3) in the exact on-disk layout, for the tests, the demo
and the benchmarks (``tools/make_synthetic_avsbench.py`` is its command line).

Every category has its own look and its own sound (:mod:`.categories`); a clip shows its
sounding object(s) plus silent distractors (:mod:`.plan`), drawn and voiced by
:mod:`.render`, and written as AVSBench stores it by :mod:`.writer`; :func:`generate_dataset`
writes a whole subset. Importing this package registers nothing and writes nothing.
"""
from .categories import (
    CATEGORIES,
    SHAPES,
    category_colour,
    category_shape,
    category_sound_params,
)
from .generate import generate_dataset
from .plan import (
    CLIP_SECONDS,
    NUM_FRAMES,
    SAMPLE_RATE,
    ObjectPlan,
    VideoPlan,
    plan_dataset,
    plan_video,
)
from .render import render_audio, render_frames
from .writer import write_meta_csv, write_video

__all__ = [
    'CATEGORIES', 'SHAPES', 'NUM_FRAMES', 'SAMPLE_RATE', 'CLIP_SECONDS', 'ObjectPlan',
    'VideoPlan', 'category_colour', 'category_shape', 'category_sound_params', 'plan_video',
    'plan_dataset', 'render_frames', 'render_audio', 'write_video', 'write_meta_csv',
    'generate_dataset'
]
