"""The demo's data: small synthetic S4 and MS3 sets in the AVSBench v1 layout, an
AVSBench-semantic set (v1s, v1m and v2 clips) in the semantic release's layout, and the
ablation's harder many-source MS3 set (:data:`HARD_LAYOUTS`)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from ..datasets.synthetic import (
    CATEGORIES,
    VideoPlan,
    generate_dataset,
    generate_semantic_dataset,
    plan_subset,
)
from .config import SUBSETS

__all__ = [
    'DATA_LAYOUTS', 'HARD_LAYOUTS', 'HARD_CATEGORIES', 'planned_test_clips', 'AVSS_SUBSETS',
    'AVSS_FRAME_SIZE', 'AVSS_CATEGORIES', 'make_data', 'make_avss_data'
]

#: the semantic subsets, in the order of the counts given to :func:`make_avss_data`
AVSS_SUBSETS = ('v1s', 'v1m', 'v2')
#: ``(w, h)`` of the semantic frames (not square, not the network size, as the real release)
AVSS_FRAME_SIZE = (128, 96)
#: sounding classes of the semantic set (the first K AVSBench-semantic classes)
AVSS_CATEGORIES = 6

#: per subset, the objects of a clip: S4 1 sounding object + 1-2 silent ones; MS3 2 sounding
#: + 2 silent ones (5 categories)
DATA_LAYOUTS = {'s4': dict(distractors=(1, 2)),
                'ms3': dict(distractors=(2, 2), sounding=(2, 2))}
#: the harder set's 8 categories: 4 shapes, each worn by two categories of different colour
#: and sound (category ``k`` and ``k + 12`` share a shape)
HARD_CATEGORIES = CATEGORIES[0:4] + CATEGORIES[12:16]
#: the ablation's harder set: MS3 clips with 2-3 sounding objects of different categories and
#: 2 silent look-alikes (of a sounding object's shape, another colour and sound), trained
#: from binary masks only
HARD_LAYOUTS = {'ms3': dict(categories=HARD_CATEGORIES, sounding=(2, 3), distractors=(2, 2),
                            lookalikes=True)}


def make_data(out: str, train_videos: Sequence[int], test_videos: int, seed: int,
              size: int, layouts: Optional[Dict[str, dict]] = None
              ) -> Dict[str, List[VideoPlan]]:
    """Writes the data sets to ``{out}/data/{subset}`` (train and test splits).

    Args:
        out (str): The output folder.
        train_videos (Sequence[int]): Training videos per subset of ``layouts``.
        test_videos (int): Test videos per subset.
        seed (int): The data seed; a subset uses ``seed +`` its position in
            :data:`~.config.SUBSETS` (MS3: ``seed + 1``).
        size (int): Frame side in pixels.
        layouts (dict[str, dict], optional): Per subset, the objects of a clip (arguments of
            ``generate_dataset``); defaults to :data:`DATA_LAYOUTS` (the demo's S4 and MS3).

    Returns:
        dict[str, list[VideoPlan]]: The test videos' plans per subset.
    """
    layouts = DATA_LAYOUTS if layouts is None else layouts
    plans = {}
    for subset, n_train in zip(layouts, train_videos):
        written = generate_dataset(osp.join(out, 'data', subset), subset,
                                   [n_train, test_videos], splits=['train', 'test'],
                                   seed=seed + SUBSETS.index(subset), size=size,
                                   **layouts[subset])
        plans[subset] = [p for p in written if p.split == 'test']
    return plans


def planned_test_clips(train_videos: Sequence[int], test_videos: int, seed: int,
                       layouts: Optional[Dict[str, dict]] = None) -> Dict[str, List[VideoPlan]]:
    """The test videos' plans that :func:`make_data` writes with these arguments, without
    writing anything (plans are deterministic).

    Args:
        train_videos, test_videos, seed, layouts: as for :func:`make_data`.

    Returns:
        dict[str, list[VideoPlan]]: The test videos' plans per subset.
    """
    layouts = DATA_LAYOUTS if layouts is None else layouts
    plans = {}
    for subset, n_train in zip(layouts, train_videos):
        planned = plan_subset(subset, [n_train, test_videos], splits=['train', 'test'],
                              seed=seed + SUBSETS.index(subset), **layouts[subset])
        plans[subset] = [p for p in planned if p.split == 'test']
    return plans


def make_avss_data(out: str, train_videos: Sequence[int], test_videos: int, seed: int,
                   frame_size: Tuple[int, int] = AVSS_FRAME_SIZE,
                   num_categories: int = AVSS_CATEGORIES) -> List[VideoPlan]:
    """Writes the semantic set to ``{out}/data/avss`` (train and test splits).

    Args:
        out (str): The output folder.
        train_videos (Sequence[int]): Training clips per subset (v1s, v1m, v2).
        test_videos (int): Test clips per subset.
        seed (int): The data seed (the semantic set uses ``seed + 2``).
        frame_size (tuple[int, int]): ``(w, h)`` of the frames.
        num_categories (int): The first K AVSBench-semantic classes are used.

    Returns:
        list[VideoPlan]: The test clips' plans.
    """
    videos = {s: [n, test_videos] for s, n in zip(AVSS_SUBSETS, train_videos)}
    written = generate_semantic_dataset(osp.join(out, 'data', 'avss'), videos,
                                        splits=['train', 'test'], seed=seed + 2,
                                        frame_size=frame_size, num_categories=num_categories)
    return [p for p in written if p.split == 'test']
