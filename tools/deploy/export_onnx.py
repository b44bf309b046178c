"""Export a TransAVS checkpoint to one ONNX graph (frames + log-mels -> eq. 14-15 predictions).

Examples::

    python tools/deploy/export_onnx.py configs/transavs_r50_s4.py iter_90000.pth \\
        --out transavs_r50_s4.onnx --verify
    python tools/deploy/export_onnx.py CONFIG CHECKPOINT --out model.onnx --size 224 224 --dynamic

The graph, its inputs and outputs: docs/en/user_guides/6_deployment.md.
"""
import argparse
import json
import sys
from typing import Optional, Sequence

import torch
from mmengine.config import DictAction

from projects.transavs.apis import init_model
from projects.transavs.apis.inference import pipeline_frame_scale
from projects.transavs.deploy import ExportRefused, export_onnx
from projects.transavs.deploy.onnx_export import DEFAULT_OPSET
from projects.transavs.deploy.onnx_verify import verify_onnx
from projects.transavs.engine import (
    CheckpointMismatchError,
    CorruptCheckpointError,
    NonFiniteCheckpointError,
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a TransAVS model to ONNX')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'), default=None,
                        help='frame size of the graph (default: the test pipeline\'s scale)')
    parser.add_argument('--frames', type=int, default=None,
                        help='frames of the example clip (default: clip_seconds); the frame '
                        'count is dynamic in the graph either way')
    parser.add_argument('--dynamic', action='store_true',
                        help='frame height and width dynamic too (multiples of 32)')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET,
                        help=f'ONNX opset (default {DEFAULT_OPSET}: fused Attention)')
    parser.add_argument('--verify', action='store_true',
                        help='run ONNX Runtime (CPU) and PyTorch on the same inputs and compare')
    parser.add_argument('--threads', type=int, default=None,
                        help='threads of PyTorch and ONNX Runtime (default: torch\'s)')
    parser.add_argument('--partial-load', action='store_true',
                        help='load a checkpoint that does not fit the model entirely')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, xxx=yyy pairs')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model = init_model(args.config, args.checkpoint, device='cpu',
                       cfg_options=args.cfg_options, strict=not args.partial_load)
    size = tuple(args.size) if args.size else None
    if size is None:
        scale, _ = pipeline_frame_scale(model.cfg)
        if scale is None:
            raise ExportRefused(f'{args.config}: the test pipeline keeps frames at their own '
                                'size; give the export size with --size H W')
        size = (int(scale[1]), int(scale[0]))  # (w, h) -> (h, w)
    info = export_onnx(model, args.out, size=size, num_frames=args.frames,
                       dynamic_size=args.dynamic, opset=args.opset)
    print(f'exported {args.out} ({info["bytes"] / 2**20:.1f} MiB, opset {info["opset"]}, '
          f'frames {size[0]}x{size[1]}{" (dynamic)" if args.dynamic else ""}) in '
          f'{info["seconds"]:.1f} s')
    if args.verify:
        report = verify_onnx(model, args.out, size=size, num_threads=args.threads,
                             data_config=args.config)
        info['verify'] = report
        print('verify: ' + json.dumps(report))
        if not report['passed']:
            raise ExportRefused(f'{args.out}: ONNX Runtime differs from PyTorch beyond the '
                                f'tolerances: {report["failures"]}')
    return info


if __name__ == '__main__':
    try:
        main()
    except (ExportRefused, ImportError, FileNotFoundError, ValueError, CheckpointMismatchError,
            CorruptCheckpointError, NonFiniteCheckpointError) as error:
        sys.exit(f'export_onnx.py: error: {error}')
