"""Synthetic AVSBench data in the exact on-disk layouts, for the tests, the demo and the
benchmarks (``tools/make_synthetic_avsbench.py`` is its command line): AVSBench v1 (S4 or
MS3: binary masks) and AVSBench-semantic (v1s, v1m and v2 clips: palette labels of 71
classes).

Every category has its own look and its own sound (:mod:`.categories`); a clip shows its
sounding object(s) plus silent distractors (:mod:`.plan`), drawn and voiced by
:mod:`.render`, and written as AVSBench stores it by :mod:`.writer` (v1) or :mod:`.semantic`
(AVSBench-semantic); :func:`generate_dataset` and :func:`generate_semantic_dataset` write a
whole data set. Importing this package registers nothing and writes nothing.

A synthetic MS3 set also holds ``ms3_categories.csv`` (columns ``vid``, ``a_obj``: each clip's
sounding categories joined by ``'_'``, for the datasets' ``category_file``). It is not part of
the official release; the real source of MS3 categories is AVSBench-semantic's
``metadata.csv`` (its ``v1m`` rows).
"""
from .categories import (
    CATEGORIES,
    NUM_LOOKS,
    SEMANTIC_CATEGORIES,
    SHAPES,
    category_colour,
    category_index,
    category_shape,
    category_sound_params,
)
from .generate import NUM_CATEGORIES, generate_dataset, plan_subset
from .plan import (
    CLIP_SECONDS,
    DEFAULT_DISTRACTORS,
    DEFAULT_SOUNDING,
    NUM_FRAMES,
    PLANNED_SUBSETS,
    SAMPLE_RATE,
    ObjectPlan,
    VideoPlan,
    plan_dataset,
    plan_video,
)
from .render import (
    class_index,
    owners_to_labels,
    render_audio,
    render_frames,
    render_owners,
    render_semantic,
)
from .semantic import (
    DEFAULT_FRAME_SIZE,
    META_FIELDS,
    check_semantic_arguments,
    clip_a_obj,
    generate_semantic_dataset,
    plan_semantic_dataset,
    semantic_categories,
    write_semantic_meta,
    write_semantic_video,
)
from .writer import CATEGORY_FILE, write_category_file, write_meta_csv, write_video

__all__ = [
    'CATEGORIES', 'SHAPES', 'NUM_FRAMES', 'SAMPLE_RATE', 'CLIP_SECONDS', 'ObjectPlan',
    'VideoPlan', 'category_colour', 'category_shape', 'category_sound_params', 'plan_video',
    'plan_dataset', 'render_frames', 'render_audio', 'write_video', 'write_meta_csv',
    'write_category_file', 'CATEGORY_FILE',
    'generate_dataset', 'plan_subset', 'NUM_CATEGORIES', 'SEMANTIC_CATEGORIES', 'NUM_LOOKS',
    'PLANNED_SUBSETS',
    'DEFAULT_DISTRACTORS', 'DEFAULT_SOUNDING', 'category_index', 'render_owners',
    'class_index', 'owners_to_labels', 'render_semantic', 'DEFAULT_FRAME_SIZE', 'META_FIELDS',
    'semantic_categories', 'clip_a_obj', 'check_semantic_arguments', 'plan_semantic_dataset',
    'write_semantic_video', 'write_semantic_meta', 'generate_semantic_dataset'
]
