"""Paths and clip rules of the AVSBench-semantic release
(docs/en/user_guides/1_dataset_prepare.md), in one place::

    {root}/metadata.csv                        vid, uid, a_obj, split, label (+ others)
    {root}/label2idx.json                      the 71 class names, class j = the j-th key
    {root}/{label}/{uid}/frames/{i}.jpg        i = 0 .. T-1, at the video's own size
    {root}/{label}/{uid}/labels_rgb/{i}.png    RGB palette colours (semantic_palette)
    {root}/{label}/{uid}/audio.wav

``label`` is the subset: ``v1s`` (the S4 videos: 5 frames, train clips annotated on frame 0
only), ``v1m`` (MS3: 5 frames, all annotated) or ``v2`` (10 frames, all annotated). The
official loader pads v1 clips to 10 frames; :func:`clip_frames` gives both lengths.
Everything that reads or writes such a tree (the dataset, the synthetic generator, the
evaluation tools) builds its paths here.
"""
import os.path as osp
from typing import List

__all__ = [
    'SEMANTIC_SUBSETS', 'SEMANTIC_SPLITS', 'SUBSET_FRAMES', 'PADDED_FRAMES', 'META_CSV',
    'LABEL_INDEX', 'META_COLUMNS', 'clip_dir', 'clip_rel_dir', 'frame_path', 'label_path',
    'label_rel_path', 'audio_path', 'annotated_frames', 'clip_frames'
]

SEMANTIC_SUBSETS = ('v1s', 'v1m', 'v2')
SEMANTIC_SPLITS = ('train', 'val', 'test')
#: real frames (= seconds) per clip of each subset
SUBSET_FRAMES = {'v1s': 5, 'v1m': 5, 'v2': 10}
#: the official loader's clip length: v1 clips are padded to it
PADDED_FRAMES = 10
META_CSV = 'metadata.csv'
LABEL_INDEX = 'label2idx.json'
#: the columns the dataset reads, by name
META_COLUMNS = ('vid', 'uid', 'a_obj', 'split', 'label')


def _check(subset: str) -> None:
    if subset not in SEMANTIC_SUBSETS:
        raise ValueError(f'unknown AVSBench-semantic subset (label) {subset!r}; expected one '
                         f'of {SEMANTIC_SUBSETS}')


def clip_rel_dir(subset: str, uid: str) -> str:
    """``{label}/{uid}``, the clip's folder relative to the release root (with ``/``)."""
    _check(subset)
    return f'{subset}/{uid}'


def clip_dir(root: str, subset: str, uid: str) -> str:
    """``{root}/{label}/{uid}``."""
    return osp.join(root, subset, uid)


def frame_path(root: str, subset: str, uid: str, index: int) -> str:
    """Frame ``index`` (0-based): ``{root}/{label}/{uid}/frames/{index}.jpg``."""
    return osp.join(clip_dir(root, subset, uid), 'frames', f'{index}.jpg')


def label_rel_path(subset: str, uid: str, index: int) -> str:
    """``{label}/{uid}/labels_rgb/{index}.png`` relative to the root (with ``/``);
    predictions are written at the same relative path."""
    return f'{clip_rel_dir(subset, uid)}/labels_rgb/{index}.png'


def label_path(root: str, subset: str, uid: str, index: int) -> str:
    """The palette PNG of frame ``index`` (0-based)."""
    return osp.join(root, *label_rel_path(subset, uid, index).split('/'))


def audio_path(root: str, subset: str, uid: str) -> str:
    """``{root}/{label}/{uid}/audio.wav``."""
    return osp.join(clip_dir(root, subset, uid), 'audio.wav')


def annotated_frames(subset: str, split: str) -> List[bool]:
    """Which real frames have a label: v1s train only frame 0, else all.

    Args:
        subset (str): 'v1s', 'v1m' or 'v2'.
        split (str): 'train', 'val' or 'test'.

    Returns:
        list[bool]: ``SUBSET_FRAMES[subset]`` flags.
    """
    _check(subset)
    if split not in SEMANTIC_SPLITS:
        raise ValueError(f'unknown split {split!r}; expected one of {SEMANTIC_SPLITS}')
    num = SUBSET_FRAMES[subset]
    if subset == 'v1s' and split == 'train':
        return [True] + [False] * (num - 1)
    return [True] * num


def clip_frames(subset: str, pad_v1: bool = True) -> int:
    """Frames of a clip as loaded: 10 for v2, and for v1 10 (padded) or 5 (native)."""
    _check(subset)
    return PADDED_FRAMES if pad_v1 else SUBSET_FRAMES[subset]
