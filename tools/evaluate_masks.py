"""Score prediction PNGs against AVSBench ground truth: binary masks (mJ, mF, as AVSMetric)
or AVSBench-semantic labels (mIoU, mF, as AVSSMetric).

``--task avs`` (default): predictions are 8-bit single-channel PNGs holding the foreground
probability x 255 (what ``tools/test.py --out DIR`` writes), stored at the same paths
relative to ``--pred`` as the ground-truth masks relative to ``--gt`` (a split's mask folder,
e.g. ``Single-source/s4_data/gt_masks/test``). Every ground-truth PNG under ``--gt`` is
evaluated. Frames are grouped into clips by their folder; clips are taken in sorted order of
their folder paths and frames inside a folder in natural order of the trailing ``_<i>`` index
(``_10`` after ``_9``). The official mF groups consecutive clips into batches of
``--fscore-batch-videos``; the sorted folder order may differ from the dataset's CSV order,
so that value can differ slightly from the one AVSMetric reports during ``tools/test.py``
(mJ and mF_dataset do not depend on the order). A folder of 0/1 masks (no PNG holds a
value above 1, some hold 1) is refused: multiply such masks by 255. ``Missing`` (and
``missing`` in ``--json``) counts the predictions that ``--missing zero`` took as empty. The
scoring is ``projects.transavs.evaluation.evaluate_mask_folders``.

``--task avss``: the ground truth is every ``{label}/{uid}/labels_rgb/{i}.png`` under
``--gt`` (the AVSBench-semantic root or a folder above the ``labels_rgb`` level); predictions
are RGB palette PNGs at the same relative paths under ``--pred`` (what ``tools/test.py --out
DIR`` writes with AVSSMetric); ``--label-index`` (the release's ``label2idx.json``) gives the
classes. mIoU and mF are the official means over all classes. Folders hold real frames only,
so the padded frames of v1 clips, which the official test loop also scores, are not: the
official value is the one ``tools/test.py`` reports. The scoring is
``projects.transavs.evaluation.evaluate_semantic_folders``.

A missing folder or file, or unreadable data, stops the tool with one ``error:`` line and
exit code 2.

Examples::

    python tools/evaluate_masks.py --pred preds --gt data/Single-source/s4_data/gt_masks/test
    python tools/evaluate_masks.py --pred preds --gt GT --json scores.json --missing zero
    python tools/evaluate_masks.py --task avss --pred preds --gt data/AVSBench-semantic \\
        --label-index data/AVSBench-semantic/label2idx.json --split test --json scores.json
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

from prettytable import PrettyTable

from projects.transavs.evaluation import evaluate_mask_folders, evaluate_semantic_folders


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Score prediction PNGs against AVSBench ground truth: binary masks '
        '(--task avs, probability x 255 PNGs) or AVSBench-semantic labels (--task avss, '
        'palette PNGs)')
    parser.add_argument('--task', choices=['avs', 'avss'], default='avs',
                        help='avs: binary masks, mJ and mF (default); avss: '
                        'AVSBench-semantic classes, mIoU and mF')
    parser.add_argument('--pred', required=True, help='folder of prediction PNGs')
    parser.add_argument('--gt', required=True,
                        help='avs: folder of ground-truth mask PNGs (one split of one '
                        'subset); avss: the AVSBench-semantic root or a folder above the '
                        'labels_rgb level')
    parser.add_argument('--label-index', metavar='FILE',
                        help='avss (required): the release\'s label2idx.json (the classes)')
    parser.add_argument('--split', choices=['train', 'val', 'test'],
                        help='avss: score only this split\'s clips (from metadata.csv); '
                        'default: every label under --gt')
    parser.add_argument('--meta', metavar='FILE',
                        help='avss: the metadata.csv for --split (default: --gt/metadata.csv)')
    parser.add_argument('--fscore-batch-videos', type=int, default=4,
                        help='avs: clips per batch of the official mF (official test '
                        'script: 4)')
    parser.add_argument('--missing', choices=['error', 'zero'], default='error',
                        help='a ground truth without prediction: stop with an error '
                        '(default) or count it as empty (avs: all-zero probability, avss: '
                        'all background)')
    parser.add_argument('--json', help='write the scores to this JSON file')
    return parser


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.task == 'avss' and not args.label_index:
        parser.error('--task avss needs --label-index (the release\'s label2idx.json)')
    return args


def _avs(args: argparse.Namespace) -> Dict[str, float]:
    scores = evaluate_mask_folders(args.pred, args.gt, args.fscore_batch_videos, args.missing)
    table = PrettyTable()
    table.field_names = ['Frames', 'Missing', 'mJ',
                         f'mF (batches of {args.fscore_batch_videos})', 'mF_dataset']
    table.add_row([scores['frames'], scores['missing'], f'{scores["mJ"]:.4f}',
                   f'{scores["mF"]:.4f}', f'{scores["mF_dataset"]:.4f}'])
    print(table.get_string())
    return scores


def _avss(args: argparse.Namespace) -> dict:
    scores = evaluate_semantic_folders(args.pred, args.gt, args.label_index, args.missing,
                                       args.split, args.meta)
    classes = PrettyTable()
    classes.field_names = ['Class', 'IoU', 'F', 'Frames']
    classes.align['Class'] = 'l'
    for row in scores['per_class']:
        if row['frames'] > 0:
            classes.add_row([row['class'], f'{row["iou"]:.4f}', f'{row["fscore"]:.4f}',
                             row['frames']])
    print('classes in a prediction or label:')
    print(classes.get_string())
    summary = PrettyTable()
    summary.field_names = ['Frames', 'Missing', 'mIoU', 'mF', 'mIoU_present', 'mF_present']
    summary.add_row([scores['frames'], scores['missing'], f'{scores["mIoU"]:.4f}',
                     f'{scores["mF"]:.4f}', f'{scores["mIoU_present"]:.4f}',
                     f'{scores["mF_present"]:.4f}'])
    print(f'mIoU, mF: means over all {len(scores["per_class"])} classes (real frames only)')
    if scores['resized_labels']:
        print(f'{scores["resized_labels"]} label(s) of another size than their prediction were '
              'resized to it (nearest neighbour), as the official test scores at the network '
              'size')
    print(summary.get_string())
    return scores


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = build_parser()
    args = parse_args(argv)
    try:
        scores = _avss(args) if args.task == 'avss' else _avs(args)
    except (FileNotFoundError, ValueError) as err:
        parser.exit(2, f'{parser.prog}: error: {err}\n')
    if args.json:
        folder = osp.dirname(osp.abspath(args.json))
        os.makedirs(folder, exist_ok=True)
        with open(args.json, 'w') as file:
            json.dump(scores, file, indent=2)
    return scores


if __name__ == '__main__':
    main()
