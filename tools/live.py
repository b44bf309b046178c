"""Segment what sounds in a live stream (a camera + microphone, or any FFmpeg URL), watched in
a browser.

Examples::

    # a webcam and the default microphone on Linux; open http://127.0.0.1:8765/
    python tools/live.py configs/transavs_r50_s4.py CHECKPOINT \\
        --camera /dev/video0 --camera-format v4l2 --mic default --mic-format pulse
    # macOS: --camera 0 --camera-format avfoundation --mic :0 --mic-format avfoundation
    # Windows: --camera "video=Integrated Camera" --camera-format dshow --mic "audio=..." ...
    # a network stream, 5 masks per second, an overlay video too
    python tools/live.py CONFIG CHECKPOINT --url udp://127.0.0.1:5000 --fps 5 --out live.mp4
    # a file played at its own pace, as if live
    python tools/live.py CONFIG CHECKPOINT --url clip.mp4 --realtime
    # ONNX Runtime instead of PyTorch
    python tools/live.py CONFIG --onnx model.onnx --url udp://127.0.0.1:5000

Each frame's mask comes once the audio of its second has been heard (AVSBench pairs frame i
with audio second [i, i+1)), from the last clip_seconds of audio: docs/en/user_guides/7_live.md.
"""
import argparse
import json
import sys
from typing import Optional, Sequence

import torch
from mmengine.config import DictAction

from projects.transavs.apis import init_model
from projects.transavs.apis.live import run_live
from projects.transavs.apis.live_page import LivePage
from projects.transavs.apis.live_source import LiveSource, LiveSourceError
from projects.transavs.engine import (
    CheckpointMismatchError,
    CorruptCheckpointError,
    NonFiniteCheckpointError,
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Live audio-visual segmentation')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file (not with --onnx)')
    parser.add_argument('--onnx', default=None, help='an exported model, run by ONNX Runtime')
    parser.add_argument('--url', help='an FFmpeg URL or file with video and audio '
                        '(udp://, rtsp://, http://, a file)')
    parser.add_argument('--url-format', default=None,
                        help='the URL\'s FFmpeg format when it cannot be guessed (e.g. mpegts)')
    parser.add_argument('--camera', help='a video device (e.g. /dev/video0, 0, video=NAME)')
    parser.add_argument('--camera-format', default=None,
                        help='its capture format: v4l2, avfoundation, dshow')
    parser.add_argument('--mic', help='an audio device (e.g. default, hw:0, :0, audio=NAME)')
    parser.add_argument('--mic-format', default=None,
                        help='its capture format: alsa, pulse, avfoundation, dshow')
    parser.add_argument('--input-option', nargs='+', action=DictAction, default={},
                        help='FFmpeg options for opening, KEY=VALUE (e.g. video_size=640x480)')
    parser.add_argument('--realtime', action='store_true',
                        help='play a file at its own pace, as if live')
    parser.add_argument('--fps', type=float, default=1.0,
                        help='masks per second (default 1, as AVSBench)')
    parser.add_argument('--host', default='127.0.0.1', help='the page\'s interface')
    parser.add_argument('--port', type=int, default=8765,
                        help='the page\'s port (0: any free port; -1: no page)')
    parser.add_argument('--out', default=None, help='also write the overlay video here (.mp4)')
    parser.add_argument('--stop-after', type=float, default=None,
                        help='stop after this many seconds of stream')
    parser.add_argument('--timeout', type=float, default=10.0,
                        help='seconds to wait for a source to open or send data')
    parser.add_argument('--max-pending', type=int, default=1,
                        help='complete seconds allowed to wait for compute before the older '
                        'ones are dropped (default 1)')
    parser.add_argument('--threads', type=int, default=None, help='compute threads')
    parser.add_argument('--stats', default=None, help='write the figures here (JSON)')
    parser.add_argument('--log-every', type=float, default=5.0,
                        help='print the counters every this many seconds (0: never)')
    parser.add_argument('--device', default='cpu', help='torch device (default cpu)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, xxx=yyy pairs')
    args = parser.parse_args(argv)
    if (args.checkpoint is None) == (args.onnx is None):
        parser.error('give a CHECKPOINT or --onnx FILE (one of them)')
    if (args.url is None) == (args.camera is None and args.mic is None):
        parser.error('give --url, or --camera and --mic')
    if args.url is None and (args.camera is None or args.mic is None):
        parser.error('--camera and --mic go together: TransAVS needs the frames and the sound')
    if not args.fps > 0:
        parser.error(f'--fps must be positive, got {args.fps}')
    if args.max_pending < 1:
        parser.error('--max-pending must be at least 1')
    return args


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    # the source first: one that cannot be opened is reported before the model is built
    print(f'opening {args.url or f"{args.camera} + {args.mic}"}', flush=True)
    source = LiveSource(None, None, fps=args.fps, url=args.url, url_format=args.url_format,
                        camera=args.camera, camera_format=args.camera_format,
                        microphone=args.mic, microphone_format=args.mic_format,
                        options={k: str(v) for k, v in args.input_option.items()},
                        realtime=args.realtime, stop_after=args.stop_after,
                        timeout=args.timeout)
    if args.onnx is not None:
        from projects.transavs.deploy import init_onnx_model
        model = init_onnx_model(args.onnx, args.config, cfg_options=args.cfg_options,
                                num_threads=args.threads)
    else:
        model = init_model(args.config, args.checkpoint, device=args.device,
                           cfg_options=args.cfg_options)
    page = LivePage(args.host, args.port) if args.port >= 0 else None
    if page is not None:
        print(f'live page: {page.url}', flush=True)
    try:
        stats = run_live(model, source, fps=args.fps, page=page, out=args.out,
                         max_pending_seconds=args.max_pending, log_every=args.log_every)
    finally:
        if page is not None:
            page.close()
    med, p95 = stats['latency_median_s'], stats['latency_p95_s']
    print(f'{stats["frames"]} frames segmented, {stats["dropped_frames"]} dropped, '
          f'{stats["late_frames"]} late; stream {stats["stream_time_s"]:.1f} s; real-time '
          f'factor {stats["real_time_factor"]}; latency median '
          f'{"n/a" if med is None else f"{med:.2f} s"}, 95th pct. '
          f'{"n/a" if p95 is None else f"{p95:.2f} s"}; peak memory '
          f'{stats["peak_rss_mib"]:.0f} MiB', flush=True)
    if args.stats:
        with open(args.stats, 'w') as f:
            json.dump(stats, f, indent=2)
    return stats


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        sys.exit('live.py: stopped')
    except (LiveSourceError, FileNotFoundError, ValueError, ImportError,
            CheckpointMismatchError, CorruptCheckpointError, NonFiniteCheckpointError,
            OSError) as error:
        sys.exit(f'live.py: error: {error}')
