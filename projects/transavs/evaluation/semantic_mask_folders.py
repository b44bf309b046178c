"""Scoring a folder of AVSBench-semantic prediction PNGs against the release's labels.

Ground truth: every ``*.png`` under the ground-truth folder whose parent folder is named
``labels_rgb`` (the release's ``{label}/{uid}/labels_rgb/{i}.png``), so the folder may be the
release root or any folder above the ``labels_rgb`` level (``v2``, ``v2/{uid}``). Prediction:
the PNG at the same relative path under the prediction folder (what ``tools/test.py --out``
writes with :class:`AVSSMetric`), an RGB palette-colour PNG as the labels. Classes and
palette come from the release's ``label2idx.json`` and :func:`bit_palette`.

The frames are scored as :class:`AVSSMetric` does (:mod:`.semantic_scores`: the official
per-class aggregation, mean over all classes). Only real frames exist in folders: the black
frames the official loader adds to pad 5-frame v1 clips to 10 (all background, evaluated by
the official test loop) have no file, so this scores real frames only and equals
``AVSSMetric(evaluate_padded=False)``. The official value, padding included, is the one
``tools/test.py`` reports with ``AVSSMetric`` (``evaluate_padded=True``).
"""
import csv
import os
import os.path as osp
from typing import Dict, List, Optional, Set, Tuple

import torch

from ..datasets.semantic_palette import bit_palette, read_label_index
from ..datasets.transforms import resize_image
from ..utils import natural_key
from .mask_io import read_palette_png
from .semantic_scores import frame_class_stats, summarize_classes

__all__ = ['find_semantic_labels', 'split_clips', 'evaluate_semantic_folders']

LABEL_FOLDER = 'labels_rgb'


def find_semantic_labels(gt_dir: str) -> List[str]:
    """The label PNGs under ``gt_dir`` (files ``*.png`` in a folder named ``labels_rgb``).

    Args:
        gt_dir (str): The release root or a folder under it above the ``labels_rgb`` level.

    Returns:
        list[str]: Paths relative to ``gt_dir`` (with ``/``), folders sorted, frames in
        natural order (``10.png`` after ``9.png``).

    Raises:
        FileNotFoundError: ``gt_dir`` is missing or holds no label PNG.
    """
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f'--gt folder not found: {gt_dir}')
    found = []
    for root, dirs, files in os.walk(gt_dir):
        dirs.sort()
        if osp.basename(root) != LABEL_FOLDER:
            continue
        folder = osp.relpath(root, gt_dir).replace(os.sep, '/')
        pngs = sorted((f for f in files if f.lower().endswith('.png')), key=natural_key)
        found += [f'{folder}/{f}' for f in pngs]
    if not found:
        raise FileNotFoundError(f'no label PNG ({{label}}/{{uid}}/{LABEL_FOLDER}/{{i}}.png) '
                                f'found under --gt {gt_dir}; give the AVSBench-semantic root '
                                f'or a folder above the {LABEL_FOLDER} level')
    return found


def split_clips(meta_csv: str, split: str) -> Set[Tuple[str, str]]:
    """The ``(label, uid)`` clips of one split of an AVSBench-semantic ``metadata.csv``.

    Args:
        meta_csv (str): The release's ``metadata.csv`` (columns ``uid``, ``label`` and
            ``split`` by name).
        split (str): 'train', 'val' or 'test'.

    Returns:
        set[tuple[str, str]]: The clips of the split.

    Raises:
        FileNotFoundError: ``meta_csv`` does not exist.
        KeyError: a column is missing.
        ValueError: the split has no clip.
    """
    if not osp.isfile(meta_csv):
        raise FileNotFoundError(f'meta CSV not found: {meta_csv} (give --meta, or a --gt that '
                                'is the release root with its metadata.csv)')
    with open(meta_csv, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in ('uid', 'label', 'split') if c not in header]
        if missing:
            raise KeyError(f'meta CSV {meta_csv} has no column(s) {missing}; got {header}')
        clips = {(row['label'].strip(), row['uid'].strip()) for row in reader
                 if (row['split'] or '').strip() == split}
    if not clips:
        raise ValueError(f'meta CSV {meta_csv} has no clip of split {split!r}')
    return clips


def evaluate_semantic_folders(pred_dir: str, gt_dir: str, label_index: str,
                              missing: str = 'error', split: Optional[str] = None,
                              meta_csv: Optional[str] = None,
                              resize_labels: bool = True) -> Dict[str, object]:
    """Scores a folder of palette-PNG predictions against AVSBench-semantic labels.

    Real frames only (see the module docstring): equal to
    ``AVSSMetric(evaluate_padded=False)`` on the same frames.

    Args:
        pred_dir (str): The folder of prediction PNGs, at the labels' relative paths.
        gt_dir (str): The release root or a folder above the ``labels_rgb`` level.
        label_index (str): The release's ``label2idx.json`` (class names in order).
        missing (str): A label without prediction: ``'error'`` (raise) or ``'zero'`` (count
            it as all background). Defaults to ``'error'``.
        split (str, optional): Score only the clips of this split (the release keeps all
            splits in one tree; its ``metadata.csv`` tells them apart). Defaults to None:
            every label under ``gt_dir``.
        meta_csv (str, optional): The ``metadata.csv`` for ``split``. Defaults to
            ``{gt_dir}/metadata.csv``.
        resize_labels (bool): A label of another size than its prediction is resized to the
            prediction's size with PIL's nearest neighbour, as the official test resizes the
            labels to the network size (224x224) before scoring; counted in
            ``resized_labels``. False makes a size mismatch an error. Defaults to True.

    Returns:
        dict: ``mIoU``, ``mF`` (official: means over all classes), ``mIoU_present``,
        ``mF_present`` (over the classes counted at least once), fractions in ``[0, 1]``;
        ``frames`` (int, frames scored), ``missing`` (int, predictions counted as all
        background), ``resized_labels`` (int) and ``per_class``: one
        ``{class, iou, fscore, frames}`` per class, in class order (``frames``: the frames
        where the class is predicted or labelled).

    Raises:
        FileNotFoundError: a missing folder, label index or (``missing='error'``)
            prediction.
        ValueError: an unknown ``missing``, a prediction of another size than its label, a
            colour that is no palette entry (the message names the file), or a bad label
            index.
    """
    if missing not in ('error', 'zero'):
        raise ValueError(f"missing must be 'error' or 'zero', got {missing!r}")
    names = read_label_index(label_index)
    num_classes = len(names)
    palette = bit_palette(num_classes)
    if not osp.isdir(pred_dir):
        raise FileNotFoundError(f'--pred folder not found: {pred_dir}')
    labels = find_semantic_labels(gt_dir)
    if split is not None:
        clips = split_clips(meta_csv or osp.join(gt_dir, 'metadata.csv'), split)
        # .../{label}/{uid}/labels_rgb/{i}.png: the clip is the 4th and 3rd parts from the end
        parts = [osp.abspath(osp.join(gt_dir, rel)).split(os.sep) for rel in labels]
        labels = [rel for rel, p in zip(labels, parts) if (p[-4], p[-3]) in clips]
        if not labels:
            raise FileNotFoundError(f'no label PNG of the {split!r} clips found under --gt '
                                    f'{gt_dir}')
    sums = {k: torch.zeros(num_classes, dtype=torch.float64)
            for k in ('iou_sum', 'f_sum', 'count')}
    frames = num_missing = num_resized = 0
    for rel in labels:
        gt_path = osp.join(gt_dir, *rel.split('/'))
        pred_path = osp.join(pred_dir, *rel.split('/'))
        gt = read_palette_png(gt_path, palette)  # [H, W]
        if osp.exists(pred_path):
            pred = read_palette_png(pred_path, palette)  # [H, W]
        elif missing == 'zero':
            pred = gt * 0
            num_missing += 1
        else:
            raise FileNotFoundError(f'no prediction for label {gt_path}: expected {pred_path} '
                                    '(use --missing zero to count it as all background)')
        if pred.shape != gt.shape and resize_labels and osp.exists(pred_path):
            gt = resize_image(gt, pred.shape[::-1], 'nearest', 'pillow')  # [h, w]
            num_resized += 1
        if pred.shape != gt.shape:
            raise ValueError(f'size mismatch: prediction {pred_path} is {pred.shape[1]}x'
                             f'{pred.shape[0]} (WxH) but label {gt_path} is {gt.shape[1]}x'
                             f'{gt.shape[0]}')
        # [H, W] -> [1, H, W]: one frame
        stats = frame_class_stats(torch.from_numpy(pred)[None], torch.from_numpy(gt)[None],
                                  num_classes)
        for k in sums:
            sums[k] += stats[k]
        frames += 1
    summary = summarize_classes(sums['iou_sum'], sums['f_sum'], sums['count'])
    return dict(
        mIoU=summary['mIoU'],
        mF=summary['mF'],
        mIoU_present=summary['mIoU_present'],
        mF_present=summary['mF_present'],
        frames=frames,
        missing=num_missing,
        resized_labels=num_resized,
        per_class=[
            {'class': name, 'iou': iou, 'fscore': fscore, 'frames': count}
            for name, iou, fscore, count in zip(names, summary['iou'], summary['fscore'],
                                                summary['count'])
        ])
