"""What a synthetic video contains: its objects, which of them sound, and how they move.

A clip shows its sounding object(s) plus silent distractor objects of other categories:

- S4: exactly one sounding object (the clip's category) and 0-2 silent distractors.
- MS3: 2-3 sounding objects (the audio is the mix of their sounds) and 1-2 silent distractors.

Objects move and turn a little over the frames. Plans are deterministic for a seed.
"""
import math
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .. import avsbench_layout as layout
from .categories import CATEGORIES

__all__ = ['NUM_FRAMES', 'SAMPLE_RATE', 'CLIP_SECONDS', 'ObjectPlan', 'VideoPlan',
           'plan_video', 'plan_dataset']

NUM_FRAMES = 5
SAMPLE_RATE = 16000
CLIP_SECONDS = 5


@dataclass
class ObjectPlan:
    """One object of a clip; geometry in fractions of the frame size.

    Args:
        category (str): Its category. ``sounding`` (bool): whether it makes the clip's sound.
        centre (tuple): ``(x, y)`` at frame 1; ``velocity`` (tuple): ``(dx, dy)`` per frame.
        radius (float): Half its extent; ``angle`` (float): rotation at frame 1 (radians);
        ``spin`` (float): rotation per frame.
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
        name (str): The video name. ``split`` (str), ``subset`` (str).
        category (str | None): S4: the sounding category (the CSV's category); MS3: None.
        index (int): The global video index. ``seed`` (int): The data-set seed.
        objects (list[ObjectPlan]): In drawing order (later objects occlude earlier ones).
        start_time (int): The CSV filler column.
    """
    name: str
    split: str
    subset: str
    category: Optional[str]
    index: int
    seed: int
    objects: List[ObjectPlan] = field(default_factory=list)
    start_time: int = 0

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
        return np.random.default_rng([self.seed, layout.SUBSETS.index(self.subset),
                                      self.index, stream])


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
               sounding: Optional[Tuple[int, int]] = None) -> VideoPlan:
    """The content of video ``index`` of a synthetic data set (deterministic).

    Args:
        subset (str): 's4' or 'ms3'.
        split (str): 'train', 'val' or 'test'.
        index (int): The global video index (names ``syn_{subset}_{index:06d}``).
        seed (int): The data-set seed.
        categories (Sequence[str]): The categories in use (a prefix of :data:`CATEGORIES`).
        distractors (tuple[int, int], optional): The range (inclusive) of the number of silent
            distractors; defaults to (0, 2) for S4 and (1, 2) for MS3. Capped by the
            categories left over.
        sounding (tuple[int, int], optional): MS3 only: the range (inclusive) of the number
            of sounding objects, at least 2; defaults to (2, 3).

    Returns:
        VideoPlan: Its name, split, S4 category and objects.
    """
    num = len(categories)
    plan = VideoPlan(name=f'syn_{subset}_{index:06d}', split=split, subset=subset,
                     category=None, index=index, seed=seed)
    rng = plan.rng(0)
    low, high = distractors or ((0, 2) if subset == 's4' else (1, 2))
    if subset == 's4':
        sounding = [categories[(index + seed) % num]]  # balanced over categories
        plan.category = sounding[0]
    else:
        low_s, high_s = sounding or (2, 3)
        num_sounding = int(rng.integers(low_s, min(high_s, num - 1) + 1))
        sounding = list(rng.choice(categories, size=num_sounding, replace=False))
    spare = num - len(sounding)
    num_distractors = int(rng.integers(min(low, spare), min(high, spare) + 1))
    others = [c for c in categories if c not in sounding]
    distractors = list(rng.choice(others, size=num_distractors, replace=False))
    cats = [(c, True) for c in sounding] + [(c, False) for c in distractors]
    order = rng.permutation(len(cats))  # drawing order
    places = _place_objects(rng, len(cats))
    for k, (x, y, radius) in zip(order, places):
        category, is_sounding = cats[k]
        plan.objects.append(ObjectPlan(
            category=str(category), sounding=is_sounding, centre=(x, y),
            velocity=tuple(rng.uniform(-0.012, 0.012, size=2)), radius=radius,
            angle=rng.uniform(0, 2 * math.pi), spin=rng.uniform(-0.15, 0.15)))
    plan.start_time = int(rng.integers(0, 300))
    return plan


def plan_dataset(subset: str, splits: Sequence[str], videos_per_split: Sequence[int],
                 seed: int, num_categories: int,
                 distractors: Optional[Tuple[int, int]] = None,
                 sounding: Optional[Tuple[int, int]] = None) -> List[VideoPlan]:
    """The plans of every video, split by split.

    Video indices run on across the splits in the order given, so names are unique in the
    subset.

    Args:
        subset (str): 's4' or 'ms3'.
        splits (Sequence[str]): The splits to plan, in index order.
        videos_per_split (Sequence[int]): One count per split of ``splits``.
        seed (int): The data-set seed.
        num_categories (int): Use the first ``num_categories`` of :data:`CATEGORIES`.
        distractors (tuple[int, int], optional): See :func:`plan_video`.
        sounding (tuple[int, int], optional): See :func:`plan_video`.

    Returns:
        list[VideoPlan]: The videos, split after split.
    """
    categories = CATEGORIES[:num_categories]
    plans, offset = [], 0
    for split, count in zip(splits, videos_per_split):
        plans.extend(plan_video(subset, split, offset + i, seed, categories, distractors,
                                sounding) for i in range(count))
        offset += count
    return plans
