"""Soak run of the live path: a generated stream played in real time for minutes, with the
latency, real-time factor, dropped frames and memory over time.

Examples::

    python tools/benchmark_live.py configs/transavs_tiny_s4.py --seconds 150 --fps 5
    python tools/benchmark_live.py configs/transavs_r50_s4.py --seconds 150 --fps 1
    python tools/benchmark_live.py CONFIG --checkpoint CKPT --onnx model.onnx ...

Random weights unless --checkpoint (speed does not depend on them). The stream is the
synthetic one of ``projects.transavs.testing.synthetic_stream`` (a moving box, a tone), written
to a temporary file and read with ``--realtime``, through the same ``run_live`` as
``tools/live.py``. Memory is the process's resident set, sampled every second: "flat" compares
the median of the first and the last minute (after a 10 s warm-up).
"""
import argparse
import json
import os.path as osp
import statistics
import tempfile
import warnings

import torch
from mmengine.config import DictAction

from projects.transavs.apis import init_model
from projects.transavs.apis.live import run_live
from projects.transavs.testing.synthetic_stream import write_stream


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Soak run of the live path')
    parser.add_argument('config')
    parser.add_argument('--checkpoint', default=None)
    parser.add_argument('--onnx', default=None, help='run an exported model instead')
    parser.add_argument('--seconds', type=float, default=150, help='stream length (>= 120)')
    parser.add_argument('--fps', type=float, default=1.0)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--size', type=int, nargs=2, default=(240, 320), metavar=('H', 'W'),
                        help='frame size of the stream (the model resizes to its input)')
    parser.add_argument('--json', default=None, help='also write the figures here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.onnx:
        from projects.transavs.deploy import init_onnx_model
        model = init_onnx_model(args.onnx, args.config, cfg_options=args.cfg_options,
                                num_threads=args.threads)
    else:
        with warnings.catch_warnings():
            if args.checkpoint is None:
                warnings.filterwarnings('ignore', message='init_model: no checkpoint')
            model = init_model(args.config, args.checkpoint, cfg_options=args.cfg_options)
    with tempfile.TemporaryDirectory() as tmp:
        clip = osp.join(tmp, 'stream.mp4')
        write_stream(clip, args.seconds, fps=10, height=args.size[0], width=args.size[1])
        stats = run_live(model, dict(url=clip, realtime=True), fps=args.fps, log_every=30)
    rss = [mib for t, mib in stats['rss_mib'] if t >= 10]
    first, last = rss[:60], rss[-60:]
    stats['rss_first_minute_mib'] = statistics.median(first) if first else None
    stats['rss_last_minute_mib'] = statistics.median(last) if last else None
    print(f'\n{osp.basename(args.config)}{" (ONNX Runtime)" if args.onnx else ""}, '
          f'{torch.get_num_threads()} thread(s), {args.fps:g} fps, '
          f'{stats["stream_time_s"]:.0f} s stream: {stats["frames"]} frames segmented, '
          f'{stats["dropped_frames"]} dropped; latency median {stats["latency_median_s"]:.2f} '
          f's, 95th pct. {stats["latency_p95_s"]:.2f} s; real-time factor '
          f'{stats["real_time_factor"]:.2f}; memory {stats["rss_first_minute_mib"]:.0f} MiB in '
          f'the first minute, {stats["rss_last_minute_mib"]:.0f} MiB in the last, peak '
          f'{stats["peak_rss_mib"]:.0f} MiB')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, onnx=args.onnx, fps=args.fps,
                           threads=torch.get_num_threads(), **stats), f, indent=2)
    return stats


if __name__ == '__main__':
    main()
