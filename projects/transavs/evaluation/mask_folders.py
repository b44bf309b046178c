"""Scoring a folder of prediction PNGs against a folder of AVSBench ground-truth masks.

Predictions are 8-bit single-channel PNGs holding the foreground probability x 255 (what
``tools/test.py --out DIR`` writes), stored at the same paths relative to the prediction folder
as the ground-truth masks relative to theirs (a split's mask folder, e.g.
``Single-source/s4_data/gt_masks/test``). Every ground-truth PNG is evaluated.

Frames are grouped into clips by their folder; clips are taken in sorted order of their folder
paths and frames inside a folder in natural order of the trailing ``_<i>`` index (``_10``
after ``_9``). The official mF groups consecutive clips into batches of
``fscore_batch_videos``; the sorted folder order may differ from the dataset's CSV order, so
that value can differ slightly from the one :class:`AVSMetric` reports (mJ and mF_dataset do
not depend on the order).

A folder of 0/1 masks (no PNG holds a value above 1, some hold 1) is refused with an error
rather than scored as probabilities of at most 1/255.
"""
import os
import os.path as osp
from typing import Dict, List, Tuple, Union

import numpy as np
import torch

from ..utils import natural_key
from .clip_scores import score_frames, summarize_clips
from .mask_io import read_mask_png, read_prob_png

__all__ = ['find_clips', 'evaluate_mask_folders']


def find_clips(gt_dir: str) -> List[Tuple[str, List[str]]]:
    """Ground-truth PNGs under ``gt_dir`` grouped into clips.

    Args:
        gt_dir (str): A folder of ground-truth mask PNGs (one split of one subset).

    Returns:
        list[tuple[str, list[str]]]: ``(folder, frame paths)`` relative to ``gt_dir`` (with
        ``/``), folders sorted, frames in natural order.

    Raises:
        FileNotFoundError: ``gt_dir`` is missing or holds no PNG.
    """
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f'--gt folder not found: {gt_dir}')
    clips: Dict[str, List[str]] = {}
    for root, _, files in os.walk(gt_dir):
        pngs = [f for f in files if f.lower().endswith('.png')]
        if pngs:
            folder = osp.relpath(root, gt_dir).replace(os.sep, '/')
            folder = '' if folder == '.' else folder
            pngs.sort(key=natural_key)
            clips[folder] = [f'{folder}/{f}' if folder else f for f in pngs]
    if not clips:
        raise FileNotFoundError(f'no ground-truth PNG found under --gt {gt_dir}')
    return [(folder, clips[folder]) for folder in sorted(clips)]


def _load_frame(gt_path: str, pred_path: str,
                missing: str) -> Tuple[np.ndarray, np.ndarray, bool]:
    """One frame: probability (float32 ``[H, W]``), ground truth (``[H, W]``), whether missing."""
    gt = read_mask_png(gt_path)
    if osp.exists(pred_path):
        prob, absent = read_prob_png(pred_path), False
    elif missing == 'zero':
        prob, absent = np.zeros(gt.shape, np.float32), True
    else:
        raise FileNotFoundError(f'no prediction for ground truth {gt_path}: expected '
                                f'{pred_path} (use --missing zero to count it as empty)')
    if prob.shape != gt.shape:
        raise ValueError(f'size mismatch: prediction {pred_path} is {prob.shape[1]}x'
                         f'{prob.shape[0]} (WxH) but ground truth {gt_path} is '
                         f'{gt.shape[1]}x{gt.shape[0]}')
    return prob, gt, absent


def _check_not_binary(pred_dir: str, max_values: Dict[str, int]) -> None:
    """Raises if the predictions look like 0/1 masks rather than probability x 255.

    Args:
        pred_dir (str): The prediction folder (for the message).
        max_values (dict[str, int]): The largest stored value of each prediction PNG read.

    Raises:
        ValueError: no PNG holds a value above 1 but some hold 1.
    """
    if not max_values or max(max_values.values()) != 1:
        return
    ones = sorted(path for path, value in max_values.items() if value == 1)
    raise ValueError(
        f'the predictions under {pred_dir} look like 0/1 masks, not probability x 255: no '
        f'PNG holds a value above 1 and {len(ones)} of {len(max_values)} hold 1 (e.g. '
        f'{ones[0]}), which would be scored as probability 1/255 (background). Save '
        'predictions as the foreground probability x 255 (a 0/1 mask: multiply it by 255, '
        'e.g. Image.fromarray((mask * 255).astype(np.uint8)))')


def evaluate_mask_folders(pred_dir: str, gt_dir: str, fscore_batch_videos: int = 4,
                          missing: str = 'error') -> Dict[str, Union[float, int]]:
    """Scores a prediction folder against a ground-truth folder, as :class:`AVSMetric` does.

    Args:
        pred_dir (str): The folder of prediction PNGs (probability x 255).
        gt_dir (str): The folder of ground-truth mask PNGs (one split of one subset).
        fscore_batch_videos (int): Clips per batch of the official mF. Defaults to 4 (the
            official test script's).
        missing (str): A ground truth without prediction: ``'error'`` (raise) or ``'zero'``
            (count it as an all-zero probability). Defaults to ``'error'``.

    Returns:
        dict: ``mJ``, ``mF``, ``mF_dataset`` (fractions) and ``frames``, as AVSMetric, and
        ``missing`` (int, predictions counted as all-zero with ``missing='zero'``).

    Raises:
        FileNotFoundError: a missing folder or (``missing='error'``) prediction.
        ValueError: a prediction of another size than its ground truth, ground-truth masks
            of one clip of different sizes, or predictions that look like 0/1 masks (no PNG
            holds a value above 1, some hold 1) instead of probability x 255.
    """
    if not osp.isdir(pred_dir):
        raise FileNotFoundError(f'--pred folder not found: {pred_dir}')
    stats, max_values, num_missing = [], {}, 0
    for _, rel_paths in find_clips(gt_dir):
        frames = []
        for rel in rel_paths:
            pred_path = osp.join(pred_dir, rel)
            prob, gt, absent = _load_frame(osp.join(gt_dir, rel), pred_path, missing)
            if absent:
                num_missing += 1
            elif prob.size:
                max_values[pred_path] = int(np.rint(prob.max() * 255))
            frames.append((prob, gt))
        shapes = {gt.shape for _, gt in frames}
        if len(shapes) > 1:
            raise ValueError(f'ground-truth masks of one clip differ in size {sorted(shapes)}: '
                             f'{osp.join(gt_dir, osp.dirname(rel_paths[0]))}')
        prob = torch.from_numpy(np.stack([p for p, _ in frames]))  # [T, H, W]
        gt = torch.from_numpy(np.stack([g for _, g in frames]))  # [T, H, W]
        stats.append(score_frames(prob, gt))
    _check_not_binary(pred_dir, max_values)
    scores = summarize_clips(stats, fscore_batch_videos)
    scores['missing'] = num_missing
    return scores
