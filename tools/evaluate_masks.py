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
(mJ and mF_dataset do not depend on the order). The scoring is
``projects.transavs.evaluation.evaluate_mask_folders``; this is its command line.

Examples::

    python tools/evaluate_masks.py --pred preds --gt data/Single-source/s4_data/gt_masks/test
    python tools/evaluate_masks.py --pred preds --gt GT --json scores.json --missing zero
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

from prettytable import PrettyTable

from projects.transavs.evaluation import evaluate_mask_folders


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


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, float]:
    args = parse_args(argv)
    scores = evaluate_mask_folders(args.pred, args.gt, args.fscore_batch_videos, args.missing)
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
