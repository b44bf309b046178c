"""Writing a whole synthetic AVSBench v1 subset (S4 or MS3): plan every video, then write it."""
import sys
from typing import List, Optional, Sequence, Tuple, Union

from mmengine.utils import ProgressBar

from .. import avsbench_layout as layout
from .categories import CATEGORIES
from .plan import VideoPlan, plan_dataset
from .writer import write_category_file, write_meta_csv, write_video

__all__ = ['generate_dataset', 'plan_subset', 'NUM_CATEGORIES']

#: the categories an S4 / MS3 set uses by default (the first K of the 23)
NUM_CATEGORIES = 5


def plan_subset(subset: str, videos_per_split: Union[int, Sequence[int]],
                splits: Sequence[str] = layout.SPLITS, seed: int = 0,
                num_categories: int = NUM_CATEGORIES,
                distractors: Optional[Tuple[int, int]] = None,
                sounding: Optional[Tuple[int, int]] = None,
                categories: Optional[Sequence[str]] = None,
                lookalikes: bool = False) -> List[VideoPlan]:
    """The plans of the videos :func:`generate_dataset` writes with these arguments (checked),
    without writing anything; see it for the arguments.

    Returns:
        list[VideoPlan]: The plans, in CSV order (splits in the official order).

    Raises:
        ValueError: An argument out of range.
    """
    if subset not in layout.SUBSETS:
        raise ValueError(f'subset must be one of {layout.SUBSETS}, got {subset!r}')
    given = list(splits)
    if not set(given) <= set(layout.SPLITS) or len(set(given)) != len(given):
        raise ValueError(f'splits must be distinct names of {layout.SPLITS}, got {given}')
    splits = [s for s in layout.SPLITS if s in given]  # official order, once
    min_categories = 1 if subset == 's4' else 3
    if categories is not None:
        unknown = [c for c in categories if c not in CATEGORIES]
        if unknown or len(set(categories)) != len(categories):
            bad = unknown or list(categories)
            raise ValueError(f'categories must be distinct S4 categories, got {bad}')
        num_categories = len(categories)
    if not min_categories <= num_categories <= len(CATEGORIES):
        raise ValueError(f'num_categories must be in [{min_categories}, {len(CATEGORIES)}] '
                         f'for {subset}, got {num_categories}')
    if sounding is not None and (subset != 'ms3' or min(sounding) < 2 or
                                 sounding[0] > sounding[1]):
        raise ValueError(f'sounding (MIN, MAX) is for ms3, with 2 <= MIN <= MAX; got '
                         f'{sounding} for {subset}')
    if isinstance(videos_per_split, int):
        counts = [videos_per_split] * len(splits)
    elif len(videos_per_split) == len(given):  # one per split as given -> official order
        per_split = dict(zip(given, videos_per_split))
        counts = [per_split[s] for s in splits]
    else:
        counts = list(videos_per_split)
    if len(counts) != len(splits) or not counts or min(counts) < 1:
        raise ValueError(f'videos_per_split needs one count >= 1, or one per split of '
                         f'{splits}; got {videos_per_split}')
    return plan_dataset(subset, splits, counts, seed, num_categories, distractors, sounding,
                        categories=CATEGORIES if categories is None else categories,
                        lookalikes=lookalikes)


def generate_dataset(data_root: str, subset: str,
                     videos_per_split: Union[int, Sequence[int]],
                     splits: Sequence[str] = layout.SPLITS, seed: int = 0, size: int = 224,
                     num_categories: int = NUM_CATEGORIES,
                     distractors: Optional[Tuple[int, int]] = None,
                     sounding: Optional[Tuple[int, int]] = None,
                     progress: bool = True,
                     categories: Optional[Sequence[str]] = None,
                     lookalikes: bool = False) -> List[VideoPlan]:
    """Writes a synthetic subset under ``data_root``; deterministic for a seed.

    Names are ``syn_{subset}_{index:06d}`` with the index counted over the written splits in
    the order train, val, test. The arguments are checked before anything is written. MS3
    also gets ``ms3_categories.csv`` (:func:`~.writer.write_category_file`): its clips'
    sounding categories, which the official MS3 CSV lacks and the off-screen negative audio
    needs (the datasets' ``category_file``). That file is not part of the official release;
    the real source of MS3 categories is AVSBench-semantic's ``metadata.csv`` (its ``v1m``
    rows).

    Args:
        data_root (str): The subset's root (where ``{subset}_meta_data.csv`` goes).
        subset (str): 's4' or 'ms3'.
        videos_per_split (int | Sequence[int]): Videos per split: one count for every split,
            or one per split of ``splits`` (in the order given).
        splits (Sequence[str]): Distinct splits to write, written in the official order
            (train, val, test) whatever the order given. Defaults to all three.
        seed (int): The data-set seed. Defaults to 0.
        size (int): Frame side in pixels, at least 32. Defaults to 224.
        num_categories (int): Use the first K of the 23 S4 categories (S4: K >= 1, MS3:
            K >= 3). Defaults to 5.
        distractors (tuple[int, int], optional): The range of silent distractors per video
            (default: (0, 2) for S4, (1, 2) for MS3).
        sounding (tuple[int, int], optional): MS3 only: the range of sounding objects per
            video, ``2 <= MIN <= MAX`` (default: (2, 3)).
        progress (bool): Show a progress bar and a final line on stdout. Defaults to True.
        categories (Sequence[str], optional): The S4 categories to use instead of the first
            ``num_categories`` (``num_categories`` is then ignored).
        lookalikes (bool): Silent distractors of a sounding object's shape first (see
            :func:`~.plan.plan_video`). Defaults to False.

    Returns:
        list[VideoPlan]: The plans of the videos written, in CSV order.

    Raises:
        ValueError: An argument out of range.
    """
    if size < 32:
        raise ValueError(f'size must be >= 32 pixels, got {size}')

    plans = plan_subset(subset, videos_per_split, splits, seed, num_categories, distractors,
                        sounding, categories, lookalikes)
    splits = sorted({p.split for p in plans}, key=layout.SPLITS.index)
    write_meta_csv(plans, data_root, subset)
    if subset == 'ms3':  # the clips' sounding categories (MS3's meta CSV has none)
        write_category_file(plans, data_root)
    bar = ProgressBar(len(plans), file=sys.stdout) if progress else None
    for plan in plans:
        write_video(plan, data_root, size=size)
        if bar is not None:
            bar.update()
    if progress:
        print(f'\nwrote {len(plans)} {subset} videos ({", ".join(splits)}) to {data_root}')
    return plans
