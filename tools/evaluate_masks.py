"""Score prediction PNGs against AVSBench ground-truth masks (mJ, mF), as AVSMetric does.

Predictions are 8-bit single-channel PNGs holding the foreground probability x 255 (what
``tools/test.py --out DIR`` writes), stored at the same paths relative to ``--pred`` as the
ground-truth masks relative to ``--gt`` (a split's mask folder, e.g.
``Single-source/s4_data/gt_masks/test``). Every ground-truth PNG under ``--gt`` is evaluated.

Frames are grouped into clips by their folder; clips are taken in sorted order of their
folder paths and frames inside a folder in natural order of the trailing ``_<i>`` index
(``_10`` after ``_9``). The official mF groups consecutive clips into batches of
``--fscore-batch-videos``; the sorted folder order may differ from the dataset's CSV order,
so that value can differ slightly from the one AVSMetric reports during ``tools/test.py``
(mJ and mF_dataset do not depend on the order).

Examples::

    python tools/evaluate_masks.py --pred preds --gt data/Single-source/s4_data/gt_masks/test
    python tools/evaluate_masks.py --pred preds --gt GT --json scores.json --missing zero
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # the repo root

import numpy as np  # noqa: E402
import torch  # noqa: E402
from prettytable import PrettyTable  # noqa: E402

from projects.transavs.evaluation import (  # noqa: E402
    read_mask_png,
    read_prob_png,
    score_frames,
    summarize_clips,
)
from projects.transavs.utils import natural_key  # noqa: E402


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Score prediction PNGs (probability x 255) against AVSBench masks')
    parser.add_argument('--pred', required=True, help='folder of prediction PNGs')
    parser.add_argument('--gt', required=True,
                        help='folder of ground-truth mask PNGs (one split of one subset)')
    parser.add_argument('--fscore-batch-videos', type=int, default=4,
                        help='clips per batch of the official mF (official test script: 4)')
    parser.add_argument('--missing', choices=['error', 'zero'], default='error',
                        help='a ground truth without prediction: stop with an error '
                        '(default) or count it as an all-zero probability')
    parser.add_argument('--json', help='write the scores to this JSON file')
    return parser.parse_args(argv)


def find_clips(gt_dir: str) -> List[Tuple[str, List[str]]]:
    """Ground-truth PNGs under ``gt_dir`` grouped into clips.

    Returns:
        list[tuple[str, list[str]]]: ``(folder, frame paths)`` relative to ``gt_dir`` (with
        ``/``), folders sorted, frames in natural order.
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


def _load_frame(gt_path: str, pred_path: str, missing: str) -> Tuple[np.ndarray, np.ndarray]:
    gt = read_mask_png(gt_path)
    if osp.exists(pred_path):
        prob = read_prob_png(pred_path)
    elif missing == 'zero':
        prob = np.zeros(gt.shape, np.float32)
    else:
        raise FileNotFoundError(f'no prediction for ground truth {gt_path}: expected '
                                f'{pred_path} (use --missing zero to count it as empty)')
    if prob.shape != gt.shape:
        raise ValueError(f'size mismatch: prediction {pred_path} is {prob.shape[1]}x'
                         f'{prob.shape[0]} (WxH) but ground truth {gt_path} is '
                         f'{gt.shape[1]}x{gt.shape[0]}')
    return prob, gt


def evaluate(pred_dir: str, gt_dir: str, fscore_batch_videos: int = 4,
             missing: str = 'error') -> Dict[str, float]:
    """Scores a prediction folder against a ground-truth folder.

    Returns:
        dict: ``mJ``, ``mF``, ``mF_dataset`` (fractions) and ``frames``, as AVSMetric.
    """
    if not osp.isdir(pred_dir):
        raise FileNotFoundError(f'--pred folder not found: {pred_dir}')
    stats = []
    for _, rel_paths in find_clips(gt_dir):
        frames = [
            _load_frame(osp.join(gt_dir, rel), osp.join(pred_dir, rel), missing)
            for rel in rel_paths
        ]
        shapes = {gt.shape for _, gt in frames}
        if len(shapes) > 1:
            raise ValueError(f'ground-truth masks of one clip differ in size {sorted(shapes)}: '
                             f'{osp.join(gt_dir, osp.dirname(rel_paths[0]))}')
        prob = torch.from_numpy(np.stack([p for p, _ in frames]))  # [T, H, W]
        gt = torch.from_numpy(np.stack([g for _, g in frames]))
        stats.append(score_frames(prob, gt))
    return summarize_clips(stats, fscore_batch_videos)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, float]:
    args = parse_args(argv)
    scores = evaluate(args.pred, args.gt, args.fscore_batch_videos, args.missing)
    table = PrettyTable()
    table.field_names = ['Frames', 'mJ', f'mF (batches of {args.fscore_batch_videos})',
                         'mF_dataset']
    table.add_row([scores['frames'], f'{scores["mJ"]:.4f}', f'{scores["mF"]:.4f}',
                   f'{scores["mF_dataset"]:.4f}'])
    print(table.get_string())
    if args.json:
        folder = osp.dirname(osp.abspath(args.json))
        os.makedirs(folder, exist_ok=True)
        with open(args.json, 'w') as file:
            json.dump(scores, file, indent=2)
    return scores


if __name__ == '__main__':
    main()
