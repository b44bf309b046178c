"""`make demo`: synthetic AVSBench-format data -> train a tiny TransAVS on CPU -> evaluate it
against two audio-blind references -> a metrics table and overlay pictures in demo_out/.

1. Writes small S4- and MS3-style data sets in the exact AVSBench v1 layout
   (``projects.transavs.datasets.synthetic``): each category has its own look and sound, silent
   distractors share the frames, and only sounding objects are in the masks.
2. Trains ``configs/transavs_tiny_demo.py`` (S4 + MS3 together) with mmengine's Runner.
3. Tests it on both test splits with the official AVSBench metrics (``AVSMetric``), and
   computes two audio-blind references: the same model with the audio replaced by silence
   (``MuteAudio``), and "segment every object" (every object's pixels, sounding or not).
4. Writes ``metrics.md`` / ``metrics.json`` (with how much the self-supervised losses AQDL and
   AQML acted during training) and pictures of test clips (ground truth on top, prediction
   below) to ``--out``.

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
