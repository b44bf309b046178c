"""AVSBench v1 Multi-sources (MS3): several sounding objects per clip."""
from mmseg.registry import DATASETS

from .avsbench import AVSBenchDataset

__all__ = ['AVSBenchMS3Dataset']


@DATASETS.register_module()
class AVSBenchMS3Dataset(AVSBenchDataset):
    """AVSBench MS3 (``Multi-sources/``): 296 / 64 / 64 train / val / test clips.

    ``ms3_meta_data.csv`` holds the video name first and a ``split`` column (no category:
    ``category`` is None). Frames live under ``ms3_data/visual_frames/{name}/`` without a
    split folder; every frame of every split is annotated. The clips' sounding categories
    (``sounding_categories``, which the off-screen negative audio needs) are not in the
    release: give ``category_file``, e.g. AVSBench-semantic's ``metadata.csv`` (its ``v1m``
    rows); without it ``sounding_categories`` is None. See
    :class:`~projects.transavs.datasets.avsbench.AVSBenchDataset` for the arguments and the
    per-clip data info.

    Example:
        >>> dataset = AVSBenchMS3Dataset(data_root='data/AVSBench/Multi-sources',
        ...                              split='train', pipeline=train_pipeline)
    """

    SUBSET = 'ms3'
    CATEGORY_COLUMN = None
    METAINFO = dict(
        classes=('background', 'sounding'), palette=[[0, 0, 0], [255, 255, 255]], subset='ms3')
