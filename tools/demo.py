"""`make demo`: synthetic AVSBench-format data -> train a tiny TransAVS on CPU -> evaluate it
against two audio-blind references -> a metrics table and overlay pictures in demo_out/.

Writes synthetic S4 and MS3 sets in the AVSBench v1 layout, trains
``configs/transavs_tiny_demo.py`` on both, tests it with the official metrics against the
muted-audio and "segment every object" references; then the same for the semantic task
(AVSBench-semantic layout, ``configs/transavs_tiny_avss_demo.py``, the official AVSS metric,
against the muted-audio reference); and writes ``metrics.md`` / ``metrics.json`` and pictures
to ``--out`` (the steps: ``projects.transavs.demo.run``).

The demo is ``projects.transavs.demo.run_demo``; this is its command line.

Usage::

    python tools/demo.py --out demo_out [--iters 1200] [--avss-iters 600 | --no-avss]
"""
import argparse

from projects.transavs.demo import AVSS_CONFIG, CONFIG, run_demo


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train and evaluate a tiny TransAVS on '
                                     'synthetic AVSBench-format data (CPU)')
    parser.add_argument('--out', default='demo_out', help='output folder')
    parser.add_argument('--config', default=CONFIG, help='the demo config')
    parser.add_argument('--iters', type=int, default=None,
                        help='training iterations (default: the config\'s)')
    parser.add_argument('--train-videos', type=int, nargs=2, default=(640, 480),
                        metavar=('S4', 'MS3'), help='training videos per subset')
    parser.add_argument('--test-videos', type=int, default=24,
                        help='test videos per subset; the off-screen negative audio needs, for '
                        'every test clip, another one with none of its categories, so very few '
                        'clips (1-3) can stop the run with an error naming the clip')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--pictures', type=int, default=6,
                        help='test clips drawn per subset')
    parser.add_argument('--no-avss', action='store_true',
                        help='skip the semantic part (AVSBench-semantic, 71 classes)')
    parser.add_argument('--avss-config', default=AVSS_CONFIG, help='the semantic part\'s config')
    parser.add_argument('--avss-iters', type=int, default=None,
                        help='its training iterations (default: the config\'s)')
    parser.add_argument('--avss-train-videos', type=int, nargs=3, default=(160, 120, 160),
                        metavar=('V1S', 'V1M', 'V2'), help='its training clips per subset')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return run_demo(out=args.out, config=args.config, iters=args.iters,
                    train_videos=args.train_videos, test_videos=args.test_videos,
                    seed=args.seed, pictures=args.pictures, avss=not args.no_avss,
                    avss_config=args.avss_config, avss_iters=args.avss_iters,
                    avss_train_videos=args.avss_train_videos)


if __name__ == '__main__':
    main()
