"""Synthetic AVSBench-semantic data: v1s / v1m / v2 clips in the release's exact layout.

The same generator as the S4 / MS3 data (:mod:`.plan`, :mod:`.render`): every category (here
an AVSBench-semantic class) has its own look and sound, clips show their sounding objects and
silent distractors, and the labels hold only the sounding objects, each with its class. Per
clip (paths from :mod:`~projects.transavs.datasets.avsbench_semantic_layout`): JPEG frames
(quality 95) at a configurable, non-square size, ``labels_rgb`` palette PNGs (the bit palette
of 71 classes; v1s training clips: frame 0 only) and a 16 kHz mono int16 ``audio.wav`` of 5 s
(v1s, v1m) or 10 s (v2); for the whole tree ``metadata.csv`` (columns ``vid``, ``uid``,
``s_min``, ``s_sec``, ``a_obj``, ``split``, ``label``) and ``label2idx.json`` (the 71 classes,
``{"background": 1, "accordion": 2, ...}``).

``a_obj`` holds the clip's sounding classes in class order joined by ``'_'`` (the class names
use ``'-'``, never ``'_'``, so it splits back unambiguously).
"""
import csv
import json
import numbers
import os
import os.path as osp
import sys
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import soundfile
from mmengine.utils import ProgressBar

from .. import avsbench_semantic_layout as layout
from ..semantic_palette import AVSS_CLASSES, bit_palette, label_to_colour
from .categories import SEMANTIC_CATEGORIES
from .plan import DEFAULT_DISTRACTORS, DEFAULT_SOUNDING, SAMPLE_RATE, VideoPlan, plan_dataset
from .render import class_index, render_audio, render_semantic

__all__ = [
    'DEFAULT_FRAME_SIZE', 'META_FIELDS', 'semantic_categories', 'clip_a_obj',
    'check_semantic_arguments', 'plan_semantic_dataset', 'write_semantic_video',
    'write_semantic_meta', 'generate_semantic_dataset'
]

#: ``(width, height)`` of the frames by default: small and not square, as real frames
DEFAULT_FRAME_SIZE = (160, 120)
#: the columns of the ``metadata.csv`` written, in order
META_FIELDS = ('vid', 'uid', 's_min', 's_sec', 'a_obj', 'split', 'label')
_JPEG_QUALITY = 95
_MIN_SIDE = 32
_MIN_CATEGORIES = 3  # v1m: 2 sounding + 1 silent
_PALETTE = bit_palette(len(AVSS_CLASSES))

Range = Tuple[int, int]


def semantic_categories(num_categories: int) -> Tuple[str, ...]:
    """The first ``num_categories`` AVSBench-semantic classes (background excluded).

    Args:
        num_categories (int): In ``[1, 70]``.

    Returns:
        tuple[str, ...]: Class names, in class order (class 1 first).

    Raises:
        ValueError: ``num_categories`` out of range.
    """
    if not 1 <= num_categories <= len(SEMANTIC_CATEGORIES):
        raise ValueError(f'num_categories must be in [1, {len(SEMANTIC_CATEGORIES)}], got '
                         f'{num_categories}')
    return SEMANTIC_CATEGORIES[:num_categories]


def clip_a_obj(plan: VideoPlan) -> str:
    """The ``a_obj`` of a clip: its sounding classes in class order, joined by ``'_'``.

    Args:
        plan (VideoPlan): An AVSBench-semantic clip.

    Returns:
        str: E.g. ``'accordion'`` or ``'airplane_baby'``.
    """
    return '_'.join(sorted(set(plan.sounding_categories), key=lambda c: class_index(plan, c)))


def _is_int(value) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_range(value, name: str, low: int) -> Range:
    """An inclusive ``(MIN, MAX)`` of ints with ``low <= MIN <= MAX``."""
    if (isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or
            len(value) != 2 or not all(_is_int(v) for v in value) or
            not low <= value[0] <= value[1]):
        raise ValueError(f'{name} must be (MIN, MAX) with {low} <= MIN <= MAX, got {value!r}')
    return int(value[0]), int(value[1])


def check_semantic_arguments(videos: Mapping,
                             splits: Sequence[str] = layout.SEMANTIC_SPLITS,
                             seed: int = 0,
                             frame_size: Tuple[int, int] = DEFAULT_FRAME_SIZE,
                             num_categories: int = 6,
                             distractors: Optional[Union[Range, Mapping]] = None,
                             sounding: Optional[Mapping] = None) -> Dict[str, object]:
    """Checks and normalises the arguments of :func:`generate_semantic_dataset`.

    Args:
        videos (Mapping): See :func:`generate_semantic_dataset`.
        splits (Sequence[str]): See :func:`generate_semantic_dataset`.
        seed (int): See :func:`generate_semantic_dataset`.
        frame_size (tuple[int, int]): See :func:`generate_semantic_dataset`.
        num_categories (int): See :func:`generate_semantic_dataset`.
        distractors (tuple[int, int] | Mapping, optional): See
            :func:`generate_semantic_dataset`.
        sounding (Mapping, optional): See :func:`generate_semantic_dataset`.

    Returns:
        dict: ``splits`` (list[str], in the official order), ``counts`` (dict: subset ->
        list[int], one per split of ``splits``; subsets in the official order),
        ``frame_size`` (tuple[int, int]), ``categories`` (tuple[str, ...]),
        ``distractors`` and ``sounding`` (dict: subset -> (MIN, MAX) for every subset of
        ``counts``).

    Raises:
        ValueError: An argument out of range (the message names it).
    """
    given = list(splits) if not isinstance(splits, str) else [splits]
    if (not given or not set(given) <= set(layout.SEMANTIC_SPLITS) or
            len(set(given)) != len(given)):
        raise ValueError(f'splits must be distinct names of {layout.SEMANTIC_SPLITS}, got '
                         f'{given}')
    ordered = [s for s in layout.SEMANTIC_SPLITS if s in given]  # official order, once
    if not isinstance(videos, Mapping) or not videos or \
            not set(videos) <= set(layout.SEMANTIC_SUBSETS):
        raise ValueError(f'videos must map subsets of {layout.SEMANTIC_SUBSETS} to counts '
                         f'per split, got {videos!r}')
    counts = {}
    for subset in [s for s in layout.SEMANTIC_SUBSETS if s in videos]:
        count = videos[subset]
        if _is_int(count):
            per_split = dict.fromkeys(given, count)
        elif isinstance(count, Mapping) and set(count) <= set(given):
            per_split = {s: count.get(s, 0) for s in given}
        elif (isinstance(count, Sequence) and not isinstance(count, str) and
              len(count) == len(given)):
            per_split = dict(zip(given, count))  # one per split as given
        else:
            per_split = None
        if (per_split is None or not all(_is_int(c) and c >= 0 for c in per_split.values())
                or sum(per_split.values()) < 1):
            raise ValueError(f'videos[{subset!r}] needs one count, one per split of {given}, '
                             f'or a dict split -> count (counts >= 0, at least one clip); got '
                             f'{count!r}')
        counts[subset] = [per_split[s] for s in ordered]
    if not _is_int(seed) or seed < 0:
        raise ValueError(f'seed must be an int >= 0, got {seed!r}')
    size = (tuple(frame_size) if isinstance(frame_size, (Sequence, np.ndarray)) and
            not isinstance(frame_size, str) else None)
    if size is None or len(size) != 2 or not all(_is_int(v) and v >= _MIN_SIDE for v in size):
        raise ValueError(f'frame_size must be (width, height), each >= {_MIN_SIDE} pixels, '
                         f'got {frame_size!r}')
    if not _is_int(num_categories) or \
            not _MIN_CATEGORIES <= num_categories <= len(SEMANTIC_CATEGORIES):
        raise ValueError(f'num_categories must be in [{_MIN_CATEGORIES}, '
                         f'{len(SEMANTIC_CATEGORIES)}], got {num_categories!r}')
    if distractors is None or isinstance(distractors, Mapping):
        given_d = dict(distractors or {})
        if not set(given_d) <= set(layout.SEMANTIC_SUBSETS):
            raise ValueError(f'distractors must be (MIN, MAX) or a dict subset -> (MIN, MAX) '
                             f'over {layout.SEMANTIC_SUBSETS}, got {distractors!r}')
        checked_d = {s: _check_range(r, f'distractors[{s!r}]', 0) for s, r in given_d.items()}
        ranges_d = {s: checked_d.get(s, DEFAULT_DISTRACTORS[s]) for s in counts}
    else:
        ranges_d = dict.fromkeys(counts, _check_range(distractors, 'distractors', 0))
    given_s = dict(sounding) if isinstance(sounding, Mapping) else sounding
    if given_s is None:
        given_s = {}
    if not isinstance(given_s, dict) or not set(given_s) <= {'v1m', 'v2'}:
        raise ValueError(f'sounding must be a dict over v1m (MIN >= 2) and v2 (MIN >= 1) of '
                         f'(MIN, MAX) (v1s clips always have one sounding object), got '
                         f'{sounding!r}')
    checked_s = {s: _check_range(r, f'sounding[{s!r}]', 2 if s == 'v1m' else 1)
                 for s, r in given_s.items()}
    ranges_s = {s: checked_s.get(s, DEFAULT_SOUNDING[s]) for s in counts}
    counts = {s: [int(c) for c in per_split] for s, per_split in counts.items()}
    return dict(splits=ordered, counts=counts,
                frame_size=(int(size[0]), int(size[1])),
                categories=semantic_categories(num_categories), distractors=ranges_d,
                sounding=ranges_s)


def plan_semantic_dataset(videos: Mapping,
                          splits: Sequence[str] = layout.SEMANTIC_SPLITS,
                          seed: int = 0, num_categories: int = 6,
                          distractors: Optional[Union[Range, Mapping]] = None,
                          sounding: Optional[Mapping] = None) -> List[VideoPlan]:
    """The plans of every clip of a synthetic AVSBench-semantic tree (deterministic).

    Subsets in the order v1s, v1m, v2, each split after split (train, val, test); ``uid``
    ``syn_{subset}_{index:06d}`` with the index counted per subset, ``vid``
    ``syn_vid_{n:06d}`` with ``n`` counted over all clips (unique in the tree).

    Args:
        videos (Mapping): See :func:`generate_semantic_dataset`.
        splits (Sequence[str]): See :func:`generate_semantic_dataset`.
        seed (int): The data-set seed. Defaults to 0.
        num_categories (int): See :func:`generate_semantic_dataset`.
        distractors (tuple[int, int] | Mapping, optional): See
            :func:`generate_semantic_dataset`.
        sounding (Mapping, optional): See :func:`generate_semantic_dataset`.

    Returns:
        list[VideoPlan]: The clips, in ``metadata.csv`` order.

    Raises:
        ValueError: An argument out of range.
    """
    args = check_semantic_arguments(videos, splits, seed, DEFAULT_FRAME_SIZE, num_categories,
                                    distractors, sounding)
    return _plan(args, seed)


def _plan(args: Dict[str, object], seed: int) -> List[VideoPlan]:
    plans = []
    for subset, counts in args['counts'].items():
        plans += plan_dataset(subset, args['splits'], counts, seed,
                              len(args['categories']), args['distractors'][subset],
                              None if subset == 'v1s' else args['sounding'][subset],
                              categories=args['categories'], vid_offset=len(plans))
    return plans


def write_semantic_video(plan: VideoPlan, data_root: str,
                         frame_size: Tuple[int, int] = DEFAULT_FRAME_SIZE) -> None:
    """Writes one clip's frames, palette labels and wav under ``data_root``.

    Args:
        plan (VideoPlan): The clip (subset 'v1s', 'v1m' or 'v2').
        data_root (str): The release root (the folder of ``metadata.csv``).
        frame_size (tuple[int, int]): ``(width, height)`` of the JPEG frames. Defaults to
            :data:`DEFAULT_FRAME_SIZE`.
    """
    subset, uid = plan.subset, plan.name
    frames, labels, _ = render_semantic(plan, frame_size)  # [T, H, W, 3], [T, H, W]
    for i, frame in enumerate(frames):
        path = layout.frame_path(data_root, subset, uid, i)
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, frame[..., ::-1],  # RGB -> BGR for OpenCV
                    [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    for i, annotated in enumerate(layout.annotated_frames(subset, plan.split)):
        if annotated:
            path = layout.label_path(data_root, subset, uid, i)
            os.makedirs(osp.dirname(path), exist_ok=True)
            cv2.imwrite(path, label_to_colour(labels[i], _PALETTE)[..., ::-1])
    samples = render_audio(plan, seconds=layout.SUBSET_FRAMES[subset])  # int16 [S]
    soundfile.write(layout.audio_path(data_root, subset, uid), samples, SAMPLE_RATE,
                    subtype='PCM_16')


def write_semantic_meta(plans: Sequence[VideoPlan], data_root: str) -> Tuple[str, str]:
    """Writes ``metadata.csv`` (one row per clip, in order) and ``label2idx.json``.

    ``s_min`` / ``s_sec`` split the plan's start time, ``a_obj`` is :func:`clip_a_obj`,
    ``label`` is the subset; ``label2idx.json`` maps all 71 classes to 1 .. 71 in class
    order.

    Args:
        plans (Sequence[VideoPlan]): The clips, in CSV order.
        data_root (str): The release root.

    Returns:
        tuple[str, str]: The paths of the CSV and the JSON.
    """
    os.makedirs(data_root, exist_ok=True)
    csv_path = osp.join(data_root, layout.META_CSV)
    with open(csv_path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(META_FIELDS)
        writer.writerows([p.vid, p.name, p.start_time // 60, p.start_time % 60, clip_a_obj(p),
                          p.split, p.subset] for p in plans)
    json_path = osp.join(data_root, layout.LABEL_INDEX)
    with open(json_path, 'w', encoding='utf-8') as f:
        json.dump({name: j + 1 for j, name in enumerate(AVSS_CLASSES)}, f, indent=1)
        f.write('\n')
    return csv_path, json_path


def generate_semantic_dataset(data_root: str,
                              videos: Mapping,
                              splits: Sequence[str] = layout.SEMANTIC_SPLITS,
                              seed: int = 0,
                              frame_size: Tuple[int, int] = DEFAULT_FRAME_SIZE,
                              num_categories: int = 6,
                              distractors: Optional[Union[Range, Mapping]] = None,
                              sounding: Optional[Mapping] = None,
                              progress: bool = True) -> List[VideoPlan]:
    """Writes a synthetic AVSBench-semantic tree under ``data_root``; deterministic for a seed.

    v1s clips have one sounding object (categories balanced) and 0-2 silent distractors, v1m
    two or three sounding objects, v2 one to three (both with 1-2 distractors) of the first
    ``num_categories`` classes. The arguments are checked before anything is written.

    Args:
        data_root (str): The release root (where ``metadata.csv`` goes).
        videos (Mapping): Per subset ('v1s', 'v1m', 'v2'; others are not written), its clips
            per split: one count for every split of ``splits``, one per split of ``splits``
            (in the order given), or a dict split -> count (missing splits: 0). Counts are
            >= 0 with at least one clip per subset, e.g. ``{'v1s': {'train': 160, 'test':
            8}, 'v2': 4}``.
        splits (Sequence[str]): Distinct splits, written in the official order (train, val,
            test) whatever the order given. Defaults to all three.
        seed (int): The data-set seed, >= 0. Defaults to 0.
        frame_size (tuple[int, int]): ``(width, height)`` of the frames, each >= 32.
            Defaults to :data:`DEFAULT_FRAME_SIZE` (160, 120).
        num_categories (int): Use the first K AVSBench-semantic classes (accordion,
            airplane, ...), ``3 <= K <= 70``. Defaults to 6.
        distractors (tuple[int, int] | Mapping, optional): The range of silent distractors
            per clip, for every subset or as a dict subset -> range (default: (0, 2) for
            v1s, (1, 2) for v1m and v2).
        sounding (Mapping, optional): Ranges of sounding objects per clip, a dict over
            'v1m' (``2 <= MIN``, default (2, 3)) and 'v2' (``1 <= MIN``, default (1, 3)).
        progress (bool): Show a progress bar and a final line on stdout. Defaults to True.

    Returns:
        list[VideoPlan]: The plans of the clips written, in ``metadata.csv`` order (see
        :func:`plan_semantic_dataset`).

    Raises:
        ValueError: An argument out of range.
    """
    args = check_semantic_arguments(videos, splits, seed, frame_size, num_categories,
                                    distractors, sounding)
    plans = _plan(args, seed)
    write_semantic_meta(plans, data_root)
    bar = ProgressBar(len(plans), file=sys.stdout) if progress else None
    for plan in plans:
        write_semantic_video(plan, data_root, args['frame_size'])
        if bar is not None:
            bar.update()
    if progress:
        per_subset = ', '.join(f'{s} {sum(c)}' for s, c in args['counts'].items())
        print(f'\nwrote {len(plans)} AVSBench-semantic clips ({per_subset}; '
              f'{", ".join(args["splits"])}) to {data_root}')
    return plans
