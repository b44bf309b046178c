"""AVSBench v1 Single-source (S4): one sounding object per clip, 23 categories."""
from mmseg.registry import DATASETS

from .avsbench import AVSBenchDataset

__all__ = ['AVSBenchS4Dataset']


@DATASETS.register_module()
class AVSBenchS4Dataset(AVSBenchDataset):
    """AVSBench S4 (``Single-source/``): 3452 / 740 / 740 train / val / test clips.

    ``s4_meta_data.csv`` holds the video name first and ``category`` and ``split`` columns;
    frames, masks and audio live under ``s4_data/.../{split}/{category}/``. Train clips are
    annotated on their first frame only (``gt_valid = [True, False, False, False, False]``).
    See :class:`~projects.transavs.datasets.avsbench.AVSBenchDataset` for the arguments and
    the per-clip data info.

    Example:
        >>> dataset = AVSBenchS4Dataset(data_root='data/AVSBench/Single-source',
        ...                             split='test', pipeline=test_pipeline)
    """

    SUBSET = 's4'
    CATEGORY_COLUMN = 'category'
    METAINFO = dict(
        classes=('background', 'sounding'), palette=[[0, 0, 0], [255, 255, 255]], subset='s4')
