"""What a synthetic video contains: its objects, which of them sound, and how they move.

A clip shows its sounding object(s) plus silent distractor objects of other categories.
AVSBench v1 (categories: the S4 categories):

- S4: exactly one sounding object (the clip's category) and 0-2 silent distractors.
- MS3: 2-3 sounding objects (the audio is the mix of their sounds) and 1-2 silent distractors.

AVSBench-semantic (categories: AVSS class names):

- v1s (the S4 videos, 5 frames): exactly one sounding object and 0-2 silent distractors.
- v1m (the MS3 videos, 5 frames): 2-3 sounding objects and 1-2 silent distractors.
- v2 (10 frames, 10 s of audio): 1-3 sounding objects and 1-2 silent distractors.

Objects move and turn a little over the frames. Plans are deterministic for a seed.
"""
import math
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .. import avsbench_layout as layout
from .. import avsbench_semantic_layout as semantic_layout
from .categories import CATEGORIES, category_index, category_shape

__all__ = ['NUM_FRAMES', 'SAMPLE_RATE', 'CLIP_SECONDS', 'PLANNED_SUBSETS', 'SINGLE_SOURCE',
           'DEFAULT_DISTRACTORS', 'DEFAULT_SOUNDING', 'ObjectPlan', 'VideoPlan', 'plan_video',
           'plan_dataset']

NUM_FRAMES = 5
SAMPLE_RATE = 16000
CLIP_SECONDS = 5
#: the subsets planned; a subset's position seeds its videos' random streams (S4 and MS3
#: first, so that their data do not change with the semantic subsets)
PLANNED_SUBSETS = layout.SUBSETS + semantic_layout.SEMANTIC_SUBSETS
#: subsets whose clips have exactly one sounding object (the clip's category)
SINGLE_SOURCE = ('s4', 'v1s')
#: default (inclusive) range of silent distractors per clip of each subset
DEFAULT_DISTRACTORS = {'s4': (0, 2), 'ms3': (1, 2), 'v1s': (0, 2), 'v1m': (1, 2), 'v2': (1, 2)}
#: default (inclusive) range of sounding objects per clip of each subset
DEFAULT_SOUNDING = {'s4': (1, 1), 'ms3': (2, 3), 'v1s': (1, 1), 'v1m': (2, 3), 'v2': (1, 3)}
_SPEED = 0.012  # the largest move per frame of a 5-frame clip (fraction of the frame)


@dataclass
class ObjectPlan:
    """One object of a clip; geometry in fractions of the frame size.

    Args:
        category (str): Its category. ``sounding`` (bool): whether it makes the clip's sound.
        centre (tuple): ``(x, y)`` at frame 1 (fractions of the width and the height);
            ``velocity`` (tuple): ``(dx, dy)`` per frame.
        radius (float): Half its extent (a fraction of the shorter frame side); ``angle``
            (float): rotation at frame 1 (radians); ``spin`` (float): rotation per frame.
    """
    category: str
    sounding: bool
    centre: Tuple[float, float]
    velocity: Tuple[float, float]
    radius: float
    angle: float
    spin: float


@dataclass
class VideoPlan:
    """What one synthetic video contains.

    Args:
        name (str): The video name (AVSBench-semantic: the ``uid``). ``split`` (str).
        subset (str): One of :data:`PLANNED_SUBSETS` ('s4', 'ms3', 'v1s', 'v1m', 'v2').
        category (str | None): S4 / v1s: the sounding category (the S4 CSV's category); the
            other subsets: None.
        index (int): The video index in its subset. ``seed`` (int): The data-set seed.
        objects (list[ObjectPlan]): In drawing order (later objects occlude earlier ones).
        start_time (int): The CSV filler column (seconds; AVSBench-semantic: ``s_min`` and
            ``s_sec``).
        vid (str | None): AVSBench-semantic: the ``vid`` column (the source video); v1: None.
    """
    name: str
    split: str
    subset: str
    category: Optional[str]
    index: int
    seed: int
    objects: List[ObjectPlan] = field(default_factory=list)
    start_time: int = 0
    vid: Optional[str] = None

    @property
    def semantic(self) -> bool:
        """bool: Whether this is an AVSBench-semantic clip (v1s, v1m or v2)."""
        return self.subset in semantic_layout.SEMANTIC_SUBSETS

    @property
    def num_frames(self) -> int:
        """int: The clip's frames, one per second of audio: 10 for v2, else 5."""
        return semantic_layout.SUBSET_FRAMES[self.subset] if self.semantic else NUM_FRAMES

    @property
    def sounding_categories(self) -> List[str]:
        """list[str]: The categories of the sounding objects, in drawing order."""
        return [o.category for o in self.objects if o.sounding]

    def rng(self, stream: int) -> np.random.Generator:
        """An independent generator per video and purpose.

        Args:
            stream (int): 0: the plan, 1: the frames, 2: the audio.

        Returns:
            np.random.Generator: Seeded by the data-set seed, subset, index and stream.
        """
        return np.random.default_rng([self.seed, PLANNED_SUBSETS.index(self.subset),
                                      self.index, stream])


def _shape(category: str) -> str:
    return category_shape(category_index(category))


def _place_objects(rng: np.random.Generator, count: int) -> List[Tuple[float, float, float]]:
    """``(x, y, radius)`` for ``count`` objects that overlap little."""
    placed = []
    for _ in range(count):
        radius = rng.uniform(0.11, 0.17) if count < 4 else rng.uniform(0.09, 0.14)
        for attempt in range(60):
            if attempt % 15 == 14:  # crowded: try a smaller object
                radius *= 0.85
            x, y = rng.uniform(radius + 0.04, 1 - radius - 0.04, size=2)
            if all(math.hypot(x - px, y - py) > (radius + pr) * 0.95 for px, py, pr in placed):
                break
        placed.append((x, y, radius))
    return placed


def plan_video(subset: str, split: str, index: int, seed: int,
               categories: Sequence[str],
               distractors: Optional[Tuple[int, int]] = None,
               sounding: Optional[Tuple[int, int]] = None,
               vid: Optional[str] = None,
               lookalikes: bool = False) -> VideoPlan:
    """The content of video ``index`` of a synthetic data set (deterministic).

    S4 and v1s clips have exactly one sounding object, its category cycling through
    ``categories`` over the indices (balanced); the others draw their sounding categories at
    random. Silent distractors are of categories that do not sound in the clip.

    Args:
        subset (str): One of :data:`PLANNED_SUBSETS`: 's4', 'ms3', 'v1s', 'v1m' or 'v2'.
        split (str): 'train', 'val' or 'test'.
        index (int): The video index in its subset (names ``syn_{subset}_{index:06d}``).
        seed (int): The data-set seed.
        categories (Sequence[str]): The categories in use (for S4 / MS3 a prefix of
            :data:`CATEGORIES`, for v1s / v1m / v2 AVSBench-semantic class names), at least
            2 for subsets with several sounding objects.
        distractors (tuple[int, int], optional): The range (inclusive) of the number of silent
            distractors; defaults to :data:`DEFAULT_DISTRACTORS` of the subset. Capped by the
            categories left over.
        sounding (tuple[int, int], optional): Not for S4 / v1s (always one): the range
            (inclusive) of the number of sounding objects; defaults to
            :data:`DEFAULT_SOUNDING` of the subset (MS3, v1m: (2, 3); v2: (1, 3)). Its
            maximum is capped at ``len(categories) - 1``.
        vid (str, optional): AVSBench-semantic only: the ``vid``; defaults to
            ``syn_vid_{index:06d}``.
        lookalikes (bool): Draw the silent distractors first from the categories that have
            the shape of a sounding one (silent look-alikes: same shape, another colour and
            sound), then from the rest. Defaults to False.

    Returns:
        VideoPlan: Its name, split, S4 / v1s category, objects (and ``vid``).

    Raises:
        ValueError: An unknown subset.
    """
    if subset not in PLANNED_SUBSETS:
        raise ValueError(f'subset must be one of {PLANNED_SUBSETS}, got {subset!r}')
    num = len(categories)
    plan = VideoPlan(name=f'syn_{subset}_{index:06d}', split=split, subset=subset,
                     category=None, index=index, seed=seed)
    if plan.semantic:
        plan.vid = vid or f'syn_vid_{index:06d}'
    rng = plan.rng(0)
    low, high = distractors or DEFAULT_DISTRACTORS[subset]
    if subset in SINGLE_SOURCE:
        sounding = [categories[(index + seed) % num]]  # balanced over categories
        plan.category = sounding[0]
    else:
        low_s, high_s = sounding or DEFAULT_SOUNDING[subset]
        num_sounding = int(rng.integers(low_s, min(high_s, num - 1) + 1))
        sounding = list(rng.choice(categories, size=num_sounding, replace=False))
    spare = num - len(sounding)
    num_distractors = int(rng.integers(min(low, spare), min(high, spare) + 1))
    others = [c for c in categories if c not in sounding]
    if lookalikes:
        shapes = {_shape(c) for c in sounding}
        alike = [c for c in others if _shape(c) in shapes]
        rest = [c for c in others if _shape(c) not in shapes]
        ranked = [alike[i] for i in rng.permutation(len(alike))] + \
            [rest[i] for i in rng.permutation(len(rest))]
        distractors = ranked[:num_distractors]
    else:
        distractors = list(rng.choice(others, size=num_distractors, replace=False))
    cats = [(c, True) for c in sounding] + [(c, False) for c in distractors]
    order = rng.permutation(len(cats))  # drawing order
    places = _place_objects(rng, len(cats))
    # Longer clips move more slowly: the same path length over their frames.
    speed = _SPEED if plan.num_frames <= NUM_FRAMES else _SPEED * NUM_FRAMES / plan.num_frames
    for k, (x, y, radius) in zip(order, places):
        category, is_sounding = cats[k]
        plan.objects.append(ObjectPlan(
            category=str(category), sounding=is_sounding, centre=(x, y),
            velocity=tuple(rng.uniform(-speed, speed, size=2)), radius=radius,
            angle=rng.uniform(0, 2 * math.pi), spin=rng.uniform(-0.15, 0.15)))
    plan.start_time = int(rng.integers(0, 300))
    return plan


def plan_dataset(subset: str, splits: Sequence[str], videos_per_split: Sequence[int],
                 seed: int, num_categories: int,
                 distractors: Optional[Tuple[int, int]] = None,
                 sounding: Optional[Tuple[int, int]] = None,
                 categories: Sequence[str] = CATEGORIES,
                 offset: int = 0, vid_offset: Optional[int] = None,
                 lookalikes: bool = False) -> List[VideoPlan]:
    """The plans of every video of a subset, split by split.

    Video indices run on across the splits in the order given, so names are unique in the
    subset.

    Args:
        subset (str): 's4', 'ms3', 'v1s', 'v1m' or 'v2'.
        splits (Sequence[str]): The splits to plan, in index order.
        videos_per_split (Sequence[int]): One count per split of ``splits``.
        seed (int): The data-set seed.
        num_categories (int): Use the first ``num_categories`` of ``categories``.
        distractors (tuple[int, int], optional): See :func:`plan_video`.
        sounding (tuple[int, int], optional): See :func:`plan_video`.
        categories (Sequence[str]): The category list to take them from. Defaults to the S4
            categories (AVSBench-semantic: :data:`.categories.SEMANTIC_CATEGORIES`).
        offset (int): The first video index. Defaults to 0.
        vid_offset (int, optional): AVSBench-semantic: the first ``vid`` number
            (``syn_vid_{n:06d}``, counting on over the videos); defaults to the video index.

    Returns:
        list[VideoPlan]: The videos, split after split.
    """
    categories = tuple(categories)[:num_categories]
    for category in categories:
        category_index(category)  # a known category (it has a look and a sound)
    plans = []
    for split, count in zip(splits, videos_per_split):
        for i in range(count):
            vid = None if vid_offset is None else f'syn_vid_{vid_offset + len(plans):06d}'
            plans.append(plan_video(subset, split, offset + i, seed, categories, distractors,
                                    sounding, vid, lookalikes))
        offset += count
    return plans
