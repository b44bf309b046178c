"""The demo's data: small synthetic S4 and MS3 sets in the AVSBench v1 layout."""
import os.path as osp
from typing import Dict, List, Sequence

from ..datasets.synthetic import VideoPlan, generate_dataset
from .config import SUBSETS

__all__ = ['DATA_LAYOUTS', 'make_data']

#: per subset, the objects of a clip: S4 1 sounding object + 1-2 silent ones; MS3 2 sounding
#: + 2 silent ones (5 categories)
DATA_LAYOUTS = {'s4': dict(distractors=(1, 2)),
                'ms3': dict(distractors=(2, 2), sounding=(2, 2))}


def make_data(out: str, train_videos: Sequence[int], test_videos: int, seed: int,
              size: int) -> Dict[str, List[VideoPlan]]:
    """Writes both data sets to ``{out}/data/{subset}`` (train and test splits).

    Args:
        out (str): The output folder.
        train_videos (Sequence[int]): Training videos per subset (S4, MS3).
        test_videos (int): Test videos per subset.
        seed (int): The data seed; MS3 uses ``seed + 1``.
        size (int): Frame side in pixels.

    Returns:
        dict[str, list[VideoPlan]]: The test videos' plans per subset.
    """
    plans = {}
    for subset, n_train in zip(SUBSETS, train_videos):
        written = generate_dataset(osp.join(out, 'data', subset), subset,
                                   [n_train, test_videos], splits=['train', 'test'],
                                   seed=seed + SUBSETS.index(subset), size=size,
                                   **DATA_LAYOUTS[subset])
        plans[subset] = [p for p in written if p.split == 'test']
    return plans
