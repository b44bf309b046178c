"""Speed, memory and FLOPs of a TransAVS config: a training step and inference, with the
configured speed options and, in the same process, the plain reference path.

Times a full training step (data already on the device; data preprocessor, forward, loss,
backward, optimiser step) and inference (``test_step``) after warm-up, with device
synchronisation, and prints one table:

- step time (median of ``--iters``), clips/s, inference frames/s, peak memory,
- parameters (total / trainable), model FLOPs per frame (forward, mmengine's FlopAnalyzer;
  1 multiply-add = 2 FLOPs), achieved training TFLOP/s (3x forward, no backward for a frozen
  audio backbone) and its fraction of the device's peak (MFU) where the peak is known,
- speed-ups of the fast setting over the reference (fp32, explicit-softmax attention, no
  embedding cache, no compile, no channels-last). Both match queries the same way (batched
  for binary frames, see ``AVSCriterion``).

Usage::

    python tools/benchmark.py configs/transavs_r50_s4.py --device cuda --batch-clips 4 \\
        --amp bf16 [--compile] [--channels-last] [--iters 20]
    python tools/benchmark.py configs/transavs_tiny_s4.py --device cpu --batch-clips 1
"""
import argparse
import copy
import json
import logging
import os.path as osp
import resource
import statistics
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # the repo root

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from mmengine.analysis import FlopAnalyzer  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.structures import PixelData  # noqa: E402
from mmseg.registry import MODELS  # noqa: E402
from prettytable import PrettyTable  # noqa: E402

import projects.transavs  # noqa: E402,F401
from projects.transavs.apis.inference import pipeline_frame_scale  # noqa: E402
from projects.transavs.datasets.transforms.formatting import audio_fingerprint  # noqa: E402
from projects.transavs.structures import AVSDataSample  # noqa: E402

#: Dense peak TFLOP/s by (device name fragment, dtype), from the vendors' data sheets.
PEAK_TFLOPS = {
    ('H200', 'bf16'): 989.0, ('H200', 'fp16'): 989.0, ('H200', 'fp32'): 494.7,  # fp32: TF32
    ('H100', 'bf16'): 989.0, ('H100', 'fp16'): 989.0, ('H100', 'fp32'): 494.7,
    ('A100', 'bf16'): 312.0, ('A100', 'fp16'): 312.0, ('A100', 'fp32'): 156.0,
}
AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16, 'none': None}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark a TransAVS config')
    parser.add_argument('config')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch-clips', type=int, default=4)
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES), default='none')
    parser.add_argument('--compile', action='store_true', help='torch.compile (fast setting)')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--no-cache', action='store_true',
                        help='no audio embedding cache in the fast setting')
    parser.add_argument('--iters', type=int, default=10, help='timed iterations')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--size', type=int, nargs=2, default=None, metavar=('H', 'W'),
                        help='frame size (default: the config\'s test size)')
    parser.add_argument('--no-reference', action='store_true')
    parser.add_argument('--no-flops', action='store_true')
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args(argv)


def model_cfg(cfg, fast, args):
    """The config's model in the fast or the reference setting."""
    m = copy.deepcopy(cfg.model)
    head = m.decode_head
    if fast:
        head.fused_attention = True
        frozen = m.get('audio_backbone') and m.audio_backbone.get('frozen', True)
        m.audio_embed_cache = bool(frozen) and not args.no_cache
        m.channels_last = args.channels_last
        if args.compile:
            m.compile = True
    else:
        head.fused_attention = False
        m.audio_embed_cache = False
        m.channels_last = False
        m.compile = False
    return m


def make_batch(clips, frames, size, device, seed=0):
    """Random clips (uint8 frames, log-mels, elliptic ground truth), already on ``device``."""
    g = torch.Generator().manual_seed(seed)
    h, w = size
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    inputs = dict(frames=[], audio_log_mel=[])
    samples = []
    for _ in range(clips):
        log_mel = torch.randn(frames, 1, 96, 64, generator=g)
        gt = torch.zeros(frames, h, w, dtype=torch.uint8)
        for t in range(frames):
            cy, cx, ry, rx = (torch.rand(4, generator=g) * torch.tensor([h, w, h / 3, w / 3]))
            gt[t] = (((yy - cy) / (ry + 4))**2 + ((xx - cx) / (rx + 4))**2 <= 1).to(torch.uint8)
        sample = AVSDataSample(metainfo=dict(
            gt_valid=[True] * frames, num_frames=frames, img_shape=size,
            audio_hash=audio_fingerprint(dict(audio_log_mel=log_mel))))
        sample.gt_sem_seg = PixelData(data=gt.to(device))
        samples.append(sample)
        inputs['frames'].append(
            torch.randint(0, 256, (frames, 3, h, w), generator=g, dtype=torch.uint8).to(device))
        inputs['audio_log_mel'].append(log_mel.to(device))
    return dict(inputs=inputs, data_samples=samples)


def sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def timed(fn, device, warmup, iters):
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory_gib(device):
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # process peak RSS


def forward_flops_per_frame(model, batch, frames):
    """Forward FLOPs per frame (2 x mmengine's multiply-adds) and the audio backbone's."""

    class _Forward(nn.Module):

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, frames, audio_log_mel):
            out = self.model._forward(dict(frames=frames, audio_log_mel=audio_log_mel))
            return out['mask_logits'][-1], out['cls_logits'][-1]

    data = model.data_preprocessor(copy.deepcopy(batch), False)['inputs']
    one = (data['frames'][:1], data['audio_log_mel'][:1])
    analyzer = FlopAnalyzer(_Forward(model).eval(), one)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    by_module = analyzer.by_module()
    audio = by_module.get('model.audio_backbone', 0)
    return 2 * analyzer.total() / frames, 2 * audio / frames


def run_setting(cfg, args, fast, batch, device, flops):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(cfg, fast, args)).to(device)
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    amp = AMP_DTYPES[args.amp] if fast else None
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if amp is not None:
        optim_cfg.type = 'AmpOptimWrapper' if device.startswith('cuda') else \
            'CPUAmpOptimWrapper'
        optim_cfg.dtype = 'bfloat16' if amp == torch.bfloat16 else 'float16'
        if amp == torch.bfloat16 or not device.startswith('cuda'):
            optim_cfg.pop('loss_scale', None)
    else:
        optim_cfg.type = 'OptimWrapper'
        optim_cfg.pop('dtype', None)
        optim_cfg.pop('loss_scale', None)
    wrapper = build_optim_wrapper(model, optim_cfg)
    num_frames = len(batch['data_samples']) * batch['data_samples'][0].num_frames

    model.train()
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    step = timed(lambda: model.train_step(copy.copy(batch), wrapper), device, args.warmup,
                 args.iters)
    train_mem = peak_memory_gib(device)

    model.eval()
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()

    def infer():
        with torch.no_grad(), torch.autocast(device.split(':')[0], dtype=amp or torch.float32,
                                             enabled=amp is not None):
            model.test_step(copy.copy(batch))

    infer_time = timed(infer, device, args.warmup, args.iters)
    infer_mem = peak_memory_gib(device)
    result = dict(
        setting='fast' if fast else 'reference', step_s=step,
        clips_per_s=len(batch['data_samples']) / step, infer_frames_per_s=num_frames / infer_time,
        train_peak_gib=train_mem, infer_peak_gib=infer_mem, params=params, trainable=trainable)
    if flops is not None:
        fwd, audio = flops
        train_flops = num_frames * (3 * fwd - 2 * audio)  # no backward through frozen audio
        result['gflops_per_frame'] = fwd / 1e9
        result['train_tflops_per_s'] = train_flops / step / 1e12
        peak = None
        if device.startswith('cuda'):
            name = torch.cuda.get_device_name()
            key = args.amp if fast and args.amp != 'none' else 'fp32'
            peak = next((v for (frag, dt), v in PEAK_TFLOPS.items()
                         if frag in name and dt == key), None)
        result['mfu'] = result['train_tflops_per_s'] / peak if peak else None
    return result


def main(argv=None):
    args = parse_args(argv)
    init_default_scope('mmseg')
    # The optimiser constructor logs one line per parameter group at INFO.
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    cfg = Config.fromfile(args.config)
    device = args.device
    scale = pipeline_frame_scale(cfg)[0] or (224, 224)  # (w, h)
    size = tuple(args.size) if args.size else (scale[1], scale[0])
    frames = cfg.model.decode_head.get('num_frames', 5)
    batch = make_batch(args.batch_clips, frames, size, device)
    flops = None
    if not args.no_flops:
        torch.manual_seed(0)
        plain = MODELS.build(model_cfg(cfg, False, args)).to(device).eval()
        with torch.no_grad():
            flops = forward_flops_per_frame(plain, batch, frames)
        del plain
    results = [run_setting(cfg, args, True, batch, device, flops)]
    if not args.no_reference:
        if device.startswith('cuda'):
            torch.cuda.empty_cache()
        results.append(run_setting(cfg, args, False, batch, device, flops))

    name = torch.cuda.get_device_name() if device.startswith('cuda') else 'CPU'
    print(f'\n{osp.basename(args.config)} on {name} ({device}), {args.batch_clips} clips x '
          f'{frames} frames at {size[0]}x{size[1]}, fast = amp {args.amp}, fused attention'
          f'{", embedding cache" if not args.no_cache else ""}'
          f'{", compile" if args.compile else ""}'
          f'{", channels-last" if args.channels_last else ""}')
    table = PrettyTable(['setting', 'step ms', 'train clips/s', 'infer frames/s',
                         'train peak GiB', 'infer peak GiB', 'params M (trainable)',
                         'GFLOP/frame', 'train TFLOP/s', 'MFU'])
    mem_note = 'GPU allocated' if device.startswith('cuda') else 'process RSS'
    for r in results:
        table.add_row([
            r['setting'], f'{1000 * r["step_s"]:.1f}', f'{r["clips_per_s"]:.2f}',
            f'{r["infer_frames_per_s"]:.1f}', f'{r["train_peak_gib"]:.2f}',
            f'{r["infer_peak_gib"]:.2f}',
            f'{r["params"] / 1e6:.1f} ({r["trainable"] / 1e6:.1f})',
            f'{r.get("gflops_per_frame", float("nan")):.1f}',
            f'{r.get("train_tflops_per_s", float("nan")):.3f}',
            f'{100 * r["mfu"]:.1f}%' if r.get('mfu') else 'n/a'
        ])
    print(table)
    print(f'peak memory: {mem_note}')
    if len(results) == 2:
        fast, ref = results
        print(f'fast / reference: training {fast["clips_per_s"] / ref["clips_per_s"]:.2f}x, '
              f'inference {fast["infer_frames_per_s"] / ref["infer_frames_per_s"]:.2f}x')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, device=name, batch_clips=args.batch_clips,
                           size=size, amp=args.amp, results=results), f, indent=2)
    return results


if __name__ == '__main__':
    main()
