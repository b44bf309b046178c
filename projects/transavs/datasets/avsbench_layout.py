"""Paths of the AVSBench v1 on-disk layout (docs/en/user_guides/1_dataset_prepare.md), in one place.

Everything that reads or writes an AVSBench tree (datasets, the synthetic generator, the
log-mel cache tool, the evaluation tools) builds its paths here::

    S4  (Single-source/):  s4_meta_data.csv
        s4_data/visual_frames/{split}/{category}/{name}/{name}_{i}.png
        s4_data/gt_masks/{split}/{category}/{name}/{name}_{i}.png   (train: only i = 1)
        s4_data/audio_wav/{split}/{category}/{name}.wav
        s4_data/audio_log_mel/{split}/{category}/{name}.pkl
    MS3 (Multi-sources/):  ms3_meta_data.csv
        ms3_data/visual_frames/{name}/{name}.mp4_{i}.png           (no split folder)
        ms3_data/gt_masks/{split}/{name}/{name}_{i}.png
        ms3_data/audio_wav/{split}/{name}.wav
        ms3_data/audio_log_mel/{split}/{name}.pkl

Frames are numbered from 1. Our optional log-mel cache (``tools/extract_log_mel.py``) mirrors
the log-mel layout under ``{subset}_data/audio_log_mel_npy/`` with ``.npy`` files.
"""
import os.path as osp
from typing import List, Optional

__all__ = [
    'SUBSETS', 'SPLITS', 'meta_csv_path', 'subset_dir', 'frame_path', 'mask_path',
    'mask_split_dir', 'audio_wav_path', 'log_mel_pkl_path', 'log_mel_npy_path',
    'annotated_frames'
]

SUBSETS = ('s4', 'ms3')
SPLITS = ('train', 'val', 'test')


def _check(subset: str, split: Optional[str] = None) -> None:
    if subset not in SUBSETS:
        raise ValueError(f'unknown AVSBench subset {subset!r}; expected one of {SUBSETS}')
    if split is not None and split not in SPLITS:
        raise ValueError(f'unknown AVSBench split {split!r}; expected one of {SPLITS}')


def _video_parts(subset: str, category: Optional[str], name: str) -> List[str]:
    """``[category, name]`` for S4, ``[name]`` for MS3."""
    if subset == 's4':
        if not category:
            raise ValueError(f'S4 video {name!r} needs a category')
        return [category, name]
    return [name]


def meta_csv_path(data_root: str, subset: str) -> str:
    """``{data_root}/s4_meta_data.csv`` or ``ms3_meta_data.csv``."""
    _check(subset)
    return osp.join(data_root, f'{subset}_meta_data.csv')


def subset_dir(data_root: str, subset: str) -> str:
    """``{data_root}/s4_data`` or ``ms3_data``."""
    _check(subset)
    return osp.join(data_root, f'{subset}_data')


def frame_path(data_root: str, subset: str, split: str, name: str,
               category: Optional[str], index: int) -> str:
    """Path of frame ``index`` (1-based) of a video."""
    _check(subset, split)
    if subset == 's4':
        return osp.join(subset_dir(data_root, subset), 'visual_frames', split, category,
                        name, f'{name}_{index}.png')
    return osp.join(subset_dir(data_root, subset), 'visual_frames', name,
                    f'{name}.mp4_{index}.png')


def mask_split_dir(data_root: str, subset: str, split: str) -> str:
    """The folder of a split's masks; predictions are written relative to it."""
    _check(subset, split)
    return osp.join(subset_dir(data_root, subset), 'gt_masks', split)


def mask_path(data_root: str, subset: str, split: str, name: str,
              category: Optional[str], index: int) -> str:
    """Path of the ground-truth mask of frame ``index`` (1-based)."""
    return osp.join(mask_split_dir(data_root, subset, split),
                    *_video_parts(subset, category, name), f'{name}_{index}.png')


def _audio_file(root: str, subset: str, split: str, folder: str, name: str,
                category: Optional[str], ext: str) -> str:
    """``{root}/{subset}_data/{folder}/{split}/[{category}/]{name}{ext}``."""
    _check(subset, split)
    parts = _video_parts(subset, category, name)
    return osp.join(subset_dir(root, subset), folder, split, *parts[:-1], f'{name}{ext}')


def audio_wav_path(data_root: str, subset: str, split: str, name: str,
                   category: Optional[str]) -> str:
    """Path of a video's wav file."""
    return _audio_file(data_root, subset, split, 'audio_wav', name, category, '.wav')


def log_mel_pkl_path(data_root: str, subset: str, split: str, name: str,
                     category: Optional[str]) -> str:
    """Path of a video's official log-mel pickle (``[5, 1, 96, 64]`` tensor)."""
    return _audio_file(data_root, subset, split, 'audio_log_mel', name, category, '.pkl')


def log_mel_npy_path(cache_root: str, subset: str, split: str, name: str,
                     category: Optional[str]) -> str:
    """Path of a video's cached log-mel (``tools/extract_log_mel.py``)."""
    return _audio_file(cache_root, subset, split, 'audio_log_mel_npy', name, category,
                       '.npy')


def annotated_frames(subset: str, split: str, num_frames: int = 5) -> List[bool]:
    """Which frames have a ground-truth mask: S4 train only the first, else all."""
    _check(subset, split)
    if subset == 's4' and split == 'train':
        return [True] + [False] * (num_frames - 1)
    return [True] * num_frames
