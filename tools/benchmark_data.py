"""Throughput of the AVSBench data pipeline: clips per second per worker, by audio source.

Runs the test pipeline of a config (frames + masks + audio + packing) in this process (what
one dataloader worker does) with the audio read three ways: from the wav (VGGish frontend on
the fly), from the official log-mel ``.pkl`` (restricted unpickling) and from the ``.npy``
cache of ``tools/extract_log_mel.py``. Without ``--data-root`` a small synthetic S4 set is
generated in a temporary folder first. The measuring is
``projects.transavs.benchmark.data_pipeline_throughput``; this is its command line.

Usage::

    python tools/benchmark_data.py [--config configs/transavs_r50_s4.py] [--data-root DIR]
        [--subset s4] [--split test] [--clips 64] [--size 224]
"""
import argparse
import os.path as osp

from mmengine.config import Config
from mmengine.registry import init_default_scope
from prettytable import PrettyTable

import projects.transavs  # noqa: F401  (registers the modules)
from projects.transavs.benchmark import data_pipeline_throughput

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Data pipeline throughput per worker')
    parser.add_argument('--config', default=osp.join(ROOT, 'configs', 'transavs_r50_s4.py'))
    parser.add_argument('--data-root', help='an AVSBench subset root (default: synthetic)')
    parser.add_argument('--subset', default='s4', choices=('s4', 'ms3'))
    parser.add_argument('--split', default='test')
    parser.add_argument('--clips', type=int, default=64, help='clips timed per source')
    parser.add_argument('--size', type=int, default=224, help='synthetic frame size')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    init_default_scope('mmseg')
    cfg = Config.fromfile(args.config)
    test_pipeline = cfg.test_dataloader.dataset.pipeline
    rows = data_pipeline_throughput(test_pipeline, args.data_root, args.subset, args.split,
                                    args.clips, args.size)
    table = PrettyTable(['audio source', 'clips', 'seconds', 'clips/s per worker'])
    for name, count, seconds, rate in rows:
        table.add_row([name, count, f'{seconds:.2f}', f'{rate:.1f}'])
    print(f'\n{args.subset} {args.split}, pipeline of {osp.basename(args.config)} '
          '(frames + masks + audio + packing), one process:')
    print(table)
    return rows


if __name__ == '__main__':
    main()
