"""Ablation of TransAVS's design choices on generated data (CPU).

The paper's Table 3 for our implementation, on two benchmarks (``--benchmark``): ``demo``
(``make demo``'s S4 + MS3 data, trained together) and ``ms3_hard`` (MS3-like clips with 2-3
sounding objects among silent look-alikes, binary masks only: where AQDL / AQML have
something to add). Every variant trains the demo's tiny TransAVS
(``configs/transavs_tiny_demo.py``, 96x96) on the same generated data and is tested with the
official metrics, the other inference rule and the per-object recall. Each row also says how
much the self-supervised losses acted: the fraction of training iterations (after the first
tenth) in which AQDL / AQML were non-zero, and the mean sizes of their query sets ``S_1`` /
``S_2`` per frame.

Each (variant, seed) trains in its own process and leaves ``runs/{variant}_s{seed}/
result.json``; a run whose result exists is not repeated, so an interrupted ablation resumes
where it stopped. ``table.md`` / ``table.json`` hold the summary (mean over seeds, and the
spread as half the max - min).

The variants and the runs are ``projects.transavs.demo.ablation``; this is its command line.

Usage::

    python tools/ablation.py --out ablation_out                      # the demo table
    python tools/ablation.py --benchmark ms3_hard --out ablation_hard  # the harder set's table
    python tools/ablation.py --out ablation_out --variants default no_aqdl --seeds 0 1 2
    python tools/ablation.py --list [--benchmark ms3_hard]           # what each variant is
"""
import argparse
import os.path as osp
import sys

from projects.transavs.demo.ablation import BENCHMARKS, run_ablation, run_variant


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Ablation of TransAVS on synthetic data')
    parser.add_argument('--benchmark', default='demo', choices=sorted(BENCHMARKS),
                        help='the data and variants (default: demo)')
    parser.add_argument('--out', default='ablation_out', help='output folder (one per '
                        'benchmark)')
    parser.add_argument('--variants', nargs='+', default=None, metavar='VARIANT',
                        help='variants of the benchmark (default: its table\'s rows)')
    parser.add_argument('--seeds', type=int, nargs='+', default=None,
                        help='seeds for every variant (default: each variant\'s own)')
    parser.add_argument('--iters', type=int, default=None, help='training iterations '
                        '(default: ' + ', '.join(f'{k} {b.iters}' for k, b in
                                                 BENCHMARKS.items()) + ')')
    parser.add_argument('--train-videos', type=int, nargs='+', default=None, metavar='N',
                        help='training clips per subset (default: demo 640 480 for S4 '
                        'and MS3, ms3_hard 800)')
    parser.add_argument('--test-videos', type=int, default=None,
                        help='test clips per subset (default: demo 24, ms3_hard 32)')
    parser.add_argument('--data-seed', type=int, default=0)
    parser.add_argument('--no-train', action='store_true',
                        help='only summarise the runs that exist in --out')
    parser.add_argument('--list', action='store_true', help='list the variants and exit')
    parser.add_argument('--run', metavar='VARIANT', help=argparse.SUPPRESS)  # one run
    parser.add_argument('--seed', type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    bench = BENCHMARKS[args.benchmark]
    if args.list:
        for name, (description, options, seeds) in bench.variants.items():
            print(f'{name:16s} seeds {seeds}: {description}\n{"":16s} {options}')
        return None
    unknown = [v for v in (args.variants or []) + ([args.run] if args.run else [])
               if v not in bench.variants]
    if unknown:
        sys.exit(f'ablation: {unknown} are not variants of the {args.benchmark} benchmark; '
                 f'expected some of {sorted(bench.variants)}')
    args.out = osp.abspath(args.out)
    iters = bench.iters if args.iters is None else args.iters
    if args.run:
        return run_variant(args.out, args.run, args.seed, iters, args.benchmark)

    def run_command(variant, seed):  # one run in its own process: this tool with --run
        return [sys.executable, osp.abspath(__file__), '--benchmark', args.benchmark,
                '--out', args.out, '--run', variant, '--seed', str(seed), '--iters', str(iters)]

    return run_ablation(args.out, args.variants, args.seeds, iters, args.train_videos,
                        args.test_videos, args.data_seed, train=not args.no_train,
                        run_command=run_command, benchmark=args.benchmark)


if __name__ == '__main__':
    main()
