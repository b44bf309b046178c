"""Ablation of TransAVS's design choices on the synthetic data of `make demo` (CPU).

The paper's Table 3 for our implementation: every variant trains the demo's tiny TransAVS
(``configs/transavs_tiny_demo.py``: S4 + MS3 trained together, 96x96) on the same generated
data and is tested on both test splits with the official metrics. Beside mJ / mF, each row
says how much the self-supervised losses acted: the fraction of training iterations (after
the first tenth) in which AQDL / AQML were non-zero, and the mean sizes of their query sets
``S_1`` / ``S_2`` per frame. Every run is also scored with the other inference rule
(``model.test_cfg.inference``), so one table compares both.

Each (variant, seed) trains in its own process and leaves ``runs/{variant}_s{seed}/
result.json``; a run whose result exists is not repeated, so an interrupted ablation resumes
where it stopped. ``table.md`` / ``table.json`` hold the summary (mean over seeds, and the
spread as half the max - min).

The variants and the runs are ``projects.transavs.demo.ablation``; this is its command line.

Usage::

    python tools/ablation.py --out ablation_out                      # the ablation guide's table
    python tools/ablation.py --out ablation_out --variants default no_aqdl --seeds 0 1 2
    python tools/ablation.py --list                                  # what each variant is
"""
import argparse
import os.path as osp
import sys

from projects.transavs.demo.ablation import (
    ITERS,
    TABLE_VARIANTS,
    VARIANTS,
    run_ablation,
    run_variant,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Ablation of TransAVS on synthetic data')
    parser.add_argument('--out', default='ablation_out', help='output folder')
    parser.add_argument('--variants', nargs='+', default=list(TABLE_VARIANTS),
                        choices=sorted(VARIANTS), metavar='VARIANT')
    parser.add_argument('--seeds', type=int, nargs='+', default=None,
                        help='seeds for every variant (default: each variant\'s own)')
    parser.add_argument('--iters', type=int, default=ITERS,
                        help=f'training iterations (default {ITERS})')
    parser.add_argument('--train-videos', type=int, nargs=2, default=(640, 480),
                        metavar=('S4', 'MS3'))
    parser.add_argument('--test-videos', type=int, default=24)
    parser.add_argument('--data-seed', type=int, default=0)
    parser.add_argument('--no-train', action='store_true',
                        help='only summarise the runs that exist in --out')
    parser.add_argument('--list', action='store_true', help='list the variants and exit')
    parser.add_argument('--run', metavar='VARIANT', help=argparse.SUPPRESS)  # one run
    parser.add_argument('--seed', type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for name, (description, options, seeds) in VARIANTS.items():
            print(f'{name:16s} seeds {seeds}: {description}\n{"":16s} {options}')
        return None
    args.out = osp.abspath(args.out)
    if args.run:
        return run_variant(args.out, args.run, args.seed, args.iters)

    def run_command(variant, seed):  # one run in its own process: this tool with --run
        return [sys.executable, osp.abspath(__file__), '--out', args.out, '--run', variant,
                '--seed', str(seed), '--iters', str(args.iters)]

    return run_ablation(args.out, args.variants, args.seeds, args.iters, args.train_videos,
                        args.test_videos, args.data_seed, train=not args.no_train,
                        run_command=run_command)


if __name__ == '__main__':
    main()
