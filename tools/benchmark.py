"""Speed, memory and FLOPs of a TransAVS config: a training step and inference, with the
configured speed options and, in the same process, the plain reference path.

Times a full training step (data already on the device; data preprocessor, forward, loss,
backward, optimiser step) and inference (``test_step``) after warm-up, with device
synchronisation, and prints one table:

- step time (median of ``--iters``; the first step, which compiles a compiled model, apart),
  clips/s, inference frames/s, peak memory,
- parameters (total / trainable), model FLOPs per frame (forward, mmengine's FlopAnalyzer;
  1 multiply-add = 2 FLOPs), achieved training TFLOP/s (3x forward, no backward for a frozen
  audio backbone) and its fraction of the device's peak (MFU) where the peak is known,
- speed-ups of the fast setting (``--amp``, ``--compile``, ``--channels-last``) over the
  reference (fp32, eager, no channels-last). Both use the same attention kernels and
  match queries the same way (batched for binary frames, see ``AVSCriterion``),
- the compiled step beside the eager one: with ``--compile`` the fast setting is the model's
  ``compile`` option (the training forward as one ``torch.compile``-d function, fullgraph;
  the random batch carries the instance maps of the config's ``ClipInstanceTargets``, as
  its training data loader would; ``--compile-mode reduce-overhead`` adds CUDA
  graphs); the graphs and graph breaks of the training forward (``torch._dynamo.explain``)
  and, per setting, the operators one training step dispatches (``torch.profiler``: ATen
  operators; on CUDA also kernel launches and GPU kernels).

The measuring is ``projects.transavs.benchmark`` (``benchmark_model``); this is its command
line.

Usage::

    python tools/benchmark.py configs/transavs_r50_s4.py --device cuda --batch-clips 4 \\
        --amp bf16 [--compile] [--channels-last] [--iters 20]
    python tools/benchmark.py configs/transavs_tiny_s4.py --device cpu --batch-clips 1
    python tools/benchmark.py configs/transavs_tiny_s4.py --device cpu --compile \
        [--cfg-options model.decode_head.criterion.gt_instances=semantic]
    python tools/benchmark.py configs/transavs_r50_s4.py --onnx [--compile] [--threads 2]

``--onnx`` instead times inference of one clip (``T`` frames, random weights) on PyTorch eager,
(with ``--compile``) PyTorch compiled and ONNX Runtime's CPU provider in the same process on
the same inputs (``projects.transavs.benchmark.benchmark_inference_backends``; needs the deploy
extra).
"""
import argparse
import json
import logging
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from prettytable import PrettyTable

import projects.transavs  # noqa: F401  (registers the modules)
from projects.transavs.benchmark import (
    AMP_DTYPES,
    COMPILE_MODES,
    SpeedOptions,
    benchmark_frame_size,
    benchmark_inference_backends,
    benchmark_model,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark a TransAVS config')
    parser.add_argument('config')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch-clips', type=int, default=4)
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES), default='none')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the fast setting (the model\'s compile option)')
    parser.add_argument('--compile-mode', choices=COMPILE_MODES, default='default',
                        help='torch.compile mode with --compile (reduce-overhead: CUDA graphs)')
    parser.add_argument('--compile-backend', default='inductor',
                        help='torch.compile backend with --compile (eager / aot_eager: '
                        'tracing only, compiles in seconds)')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--iters', type=int, default=10, help='timed iterations')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--size', type=int, nargs=2, default=None, metavar=('H', 'W'),
                        help='frame size (default: the config\'s test size)')
    parser.add_argument('--no-reference', action='store_true')
    parser.add_argument('--no-flops', action='store_true')
    parser.add_argument('--no-graphs', action='store_true',
                        help='do not count the graph breaks of the training forward')
    parser.add_argument('--no-profile', action='store_true',
                        help='do not profile a training step (operator counts)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (key=value), e.g. '
                        'model.decode_head.criterion.gt_instances=semantic')
    parser.add_argument('--onnx', action='store_true',
                        help='time inference of one clip on PyTorch eager (and compiled with '
                        '--compile) and ONNX Runtime (CPU) instead of training')
    parser.add_argument('--threads', type=int, default=None,
                        help='with --onnx: threads of PyTorch and ONNX Runtime (default: '
                        'torch\'s)')
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    init_default_scope('mmseg')
    # The optimiser constructor logs one line per parameter group at INFO.
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = args.device
    size = benchmark_frame_size(cfg, args.size)
    if args.onnx:
        return onnx_main(args, cfg, size)
    frames = cfg.model.decode_head.get('clip_seconds', 5)
    options = SpeedOptions(amp=args.amp, compile=args.compile, compile_mode=args.compile_mode,
                           compile_backend=args.compile_backend,
                           channels_last=args.channels_last, iters=args.iters,
                           warmup=args.warmup, profile=not args.no_profile)
    results = benchmark_model(cfg, device, args.batch_clips, size, options,
                              reference=not args.no_reference, flops=not args.no_flops,
                              graphs=not args.no_graphs)

    name = torch.cuda.get_device_name() if device.startswith('cuda') else 'CPU'
    print(f'\n{osp.basename(args.config)} on {name} ({device}), {args.batch_clips} clips x '
          f'{frames} frames at {size[0]}x{size[1]}, fast = amp {args.amp}'
          f'{f", compile ({args.compile_backend}, {args.compile_mode})" if args.compile else ""}'
          f'{", channels-last" if args.channels_last else ""}')
    table = PrettyTable(['setting', 'first step s', 'step ms', 'train clips/s', 'infer frames/s',
                         'train peak GiB', 'infer peak GiB', 'params M (trainable)',
                         'GFLOP/frame', 'train TFLOP/s', 'MFU'])
    mem_note = 'GPU allocated' if device.startswith('cuda') else 'process RSS'
    for r in results:
        table.add_row([
            r['setting'], f'{r["first_step_s"]:.1f}', f'{1000 * r["step_s"]:.1f}',
            f'{r["clips_per_s"]:.2f}',
            f'{r["infer_frames_per_s"]:.1f}', f'{r["train_peak_gib"]:.2f}',
            f'{r["infer_peak_gib"]:.2f}',
            f'{r["params"] / 1e6:.1f} ({r["trainable"] / 1e6:.1f})',
            f'{r.get("gflops_per_frame", float("nan")):.1f}',
            f'{r.get("train_tflops_per_s", float("nan")):.3f}',
            f'{100 * r["mfu"]:.1f}%' if r.get('mfu') else 'n/a'
        ])
    print(table)
    print(f'peak memory: {mem_note}')
    if 'aten_ops' in results[0]:
        ops = PrettyTable(['setting', 'compiled', 'ATen ops / step', 'launches / step',
                           'GPU kernels / step'])
        for r in results:
            ops.add_row([r['setting'], 'yes' if r['compiled'] else 'no', r['aten_ops'],
                         r.get('launches', 'n/a'), r.get('device_kernels', 'n/a')])
        print('one training step, torch.profiler (operators inside another operator and the '
              'inductor\'s generated kernels are not ATen ops):')
        print(ops)
    if 'graph_breaks' in results[0]:
        r = results[0]
        print(f'training forward under torch.compile (torch._dynamo.explain): {r["graphs"]} '
              f'graph(s), {r["graph_breaks"]} graph break(s)')
        for reason in r['break_reasons']:
            print(f'  break: {reason}')
    if len(results) == 2:
        fast, ref = results
        print(f'fast / reference: training {fast["clips_per_s"] / ref["clips_per_s"]:.2f}x, '
              f'inference {fast["infer_frames_per_s"] / ref["infer_frames_per_s"]:.2f}x')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, device=name, batch_clips=args.batch_clips,
                           size=size, amp=args.amp, compile=args.compile,
                           compile_mode=args.compile_mode if args.compile else None,
                           compile_backend=args.compile_backend if args.compile else None,
                           cfg_options=args.cfg_options, results=results), f, indent=2)
    return results


def onnx_main(args, cfg, size):
    """``--onnx``: inference on PyTorch eager / compiled and ONNX Runtime, one table."""
    threads = args.threads or torch.get_num_threads()
    results = benchmark_inference_backends(cfg, size, threads=threads, iters=args.iters,
                                           warmup=args.warmup, compiled=args.compile)
    frames = cfg.model.decode_head.get('clip_seconds', 5)
    print(f'\n{osp.basename(args.config)} on CPU, {threads} thread(s), 1 clip x {frames} '
          f'frames at {size[0]}x{size[1]}, inference (frames in, eq. 14-15 maps out)')
    table = PrettyTable(['backend', 'frames/s', 'ms / clip', 'vs eager', 'notes'])
    for r in results:
        notes = (f'export {r["export_s"]:.1f} s, {r["onnx_mib"]:.0f} MiB, opset {r["opset"]}'
                 if 'export_s' in r else
                 f'first call {r["compile_s"]:.0f} s' if 'compile_s' in r else '')
        table.add_row([r['backend'], f'{r["frames_per_s"]:.2f}', f'{r["ms_per_clip"]:.0f}',
                       f'{r["speedup"]:.2f}x', notes])
    print(table)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, device='CPU', threads=threads, size=size,
                           frames=frames, results=results), f, indent=2)
    return results


if __name__ == '__main__':
    main()
