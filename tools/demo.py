"""`make demo`: synthetic AVSBench-format data -> train a tiny TransAVS on CPU -> evaluate it
against two audio-blind references -> a metrics table and overlay pictures in demo_out/.

Writes synthetic S4 and MS3 sets in the AVSBench v1 layout, trains
``configs/transavs_tiny_demo.py`` on both, tests it with the official metrics against the
muted-audio and "segment every object" references, and writes ``metrics.md`` /
``metrics.json`` and pictures to ``--out`` (the steps: ``projects.transavs.demo.run``).

The demo is ``projects.transavs.demo.run_demo``; this is its command line.

Usage::

    python tools/demo.py --out demo_out [--iters 1200]
"""
import argparse

from projects.transavs.demo import CONFIG, run_demo


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train and evaluate a tiny TransAVS on '
                                     'synthetic AVSBench-format data (CPU)')
    parser.add_argument('--out', default='demo_out', help='output folder')
    parser.add_argument('--config', default=CONFIG, help='the demo config')
    parser.add_argument('--iters', type=int, default=None,
                        help='training iterations (default: the config\'s)')
    parser.add_argument('--train-videos', type=int, nargs=2, default=(640, 480),
                        metavar=('S4', 'MS3'), help='training videos per subset')
    parser.add_argument('--test-videos', type=int, default=24, help='test videos per subset')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--pictures', type=int, default=6,
                        help='test clips drawn per subset')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return run_demo(out=args.out, config=args.config, iters=args.iters,
                    train_videos=args.train_videos, test_videos=args.test_videos,
                    seed=args.seed, pictures=args.pictures)


if __name__ == '__main__':
    main()
