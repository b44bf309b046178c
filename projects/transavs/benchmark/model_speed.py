"""Speed, memory and FLOPs of a TransAVS config: a training step and inference, in the
configured fast setting and the plain reference setting.

The fast setting: the chosen AMP dtype, optionally ``torch.compile`` and channels-last. The
reference: fp32, no compile, no channels-last. Both use the same attention kernels and match
queries the same way (batched for binary frames, see ``AVSCriterion``).
"""
import copy
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, ConfigDict
from mmengine.optim import build_optim_wrapper
from mmseg.registry import MODELS

from ..apis.inference import pipeline_frame_scale
from .batch import make_batch
from .flops import PEAK_TFLOPS, forward_flops_per_frame
from .timing import peak_memory_gib, timed

__all__ = ['AMP_DTYPES', 'SpeedOptions', 'benchmark_frame_size', 'model_cfg', 'run_setting',
           'benchmark_model']

AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16, 'none': None}


@dataclass
class SpeedOptions:
    """What the fast setting uses and how long to time.

    Args:
        amp (str): ``'bf16'``, ``'fp16'`` or ``'none'``. Defaults to ``'none'``.
        compile (bool): ``torch.compile`` the model. Defaults to False.
        channels_last (bool): Channels-last memory format. Defaults to False.
        iters (int): Timed iterations. Defaults to 10.
        warmup (int): Untimed iterations first. Defaults to 3.
    """
    amp: str = 'none'
    compile: bool = False
    channels_last: bool = False
    iters: int = 10
    warmup: int = 3


def benchmark_frame_size(cfg: Config, size: Optional[Sequence[int]] = None) -> Tuple[int, int]:
    """The frame size to time: ``size``, else the config's test size, else 224 x 224.

    Args:
        cfg (Config): The config.
        size (Sequence[int], optional): ``(h, w)``.

    Returns:
        tuple[int, int]: ``(h, w)``.
    """
    scale = pipeline_frame_scale(cfg)[0] or (224, 224)  # (w, h)
    return tuple(size) if size else (scale[1], scale[0])


def model_cfg(cfg: Config, fast: bool, options: SpeedOptions) -> ConfigDict:
    """The config's model in the fast or the reference setting.

    Args:
        cfg (Config): The config.
        fast (bool): The fast setting (else the reference).
        options (SpeedOptions): The fast setting's choices.

    Returns:
        ConfigDict: A copy of ``cfg.model``.
    """
    m = copy.deepcopy(cfg.model)
    if fast:
        m.channels_last = options.channels_last
        if options.compile:
            m.compile = True
    else:
        m.channels_last = False
        m.compile = False
    return m


def run_setting(cfg: Config, options: SpeedOptions, fast: bool, batch: dict, device: str,
                flops: Optional[Tuple[float, float]]) -> dict:
    """Times a training step and inference of one setting.

    Args:
        cfg (Config): The config.
        options (SpeedOptions): The fast setting's choices and the timing lengths.
        fast (bool): The fast setting (else the reference).
        batch (dict): From :func:`make_batch`, on ``device``.
        device (str): The device.
        flops (tuple[float, float], optional): From :func:`forward_flops_per_frame`.

    Returns:
        dict: ``setting``, ``step_s`` (median), ``clips_per_s``, ``infer_frames_per_s``,
        ``train_peak_gib``, ``infer_peak_gib``, ``params``, ``trainable`` and, with
        ``flops``, ``gflops_per_frame``, ``train_tflops_per_s`` and ``mfu`` (None where the
        device's peak is unknown).
    """
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(cfg, fast, options)).to(device)
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    amp = AMP_DTYPES[options.amp] if fast else None
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
    step = timed(lambda: model.train_step(copy.copy(batch), wrapper), device, options.warmup,
                 options.iters)
    train_mem = peak_memory_gib(device)

    model.eval()
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()

    def infer():
        with torch.no_grad(), torch.autocast(device.split(':')[0], dtype=amp or torch.float32,
                                             enabled=amp is not None):
            model.test_step(copy.copy(batch))

    infer_time = timed(infer, device, options.warmup, options.iters)
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
            key = options.amp if fast and options.amp != 'none' else 'fp32'
            peak = next((v for (frag, dt), v in PEAK_TFLOPS.items()
                         if frag in name and dt == key), None)
        result['mfu'] = result['train_tflops_per_s'] / peak if peak else None
    return result


def benchmark_model(cfg: Config, device: str, batch_clips: int = 4,
                    size: Optional[Sequence[int]] = None,
                    options: Optional[SpeedOptions] = None, reference: bool = True,
                    flops: bool = True) -> List[dict]:
    """Times the fast setting and (optionally) the reference on one random batch.

    Args:
        cfg (Config): The config (its ``model`` and ``optim_wrapper``).
        device (str): The device, e.g. ``'cuda'`` or ``'cpu'``.
        batch_clips (int): Clips per batch. Defaults to 4.
        size (Sequence[int], optional): ``(h, w)`` of the frames (default: the config's test
            size, see :func:`benchmark_frame_size`).
        options (SpeedOptions, optional): The fast setting (default: ``SpeedOptions()``).
        reference (bool): Also time the reference setting. Defaults to True.
        flops (bool): Count FLOPs (on the reference model) for TFLOP/s and MFU. Defaults to
            True.

    Returns:
        list[dict]: :func:`run_setting`'s result for the fast setting, then the reference.
    """
    options = options or SpeedOptions()
    size = benchmark_frame_size(cfg, size)
    frames = cfg.model.decode_head.get('clip_seconds', 5)
    batch = make_batch(batch_clips, frames, size, device)
    counted = None
    if flops:
        torch.manual_seed(0)
        plain = MODELS.build(model_cfg(cfg, False, options)).to(device).eval()
        with torch.no_grad():
            counted = forward_flops_per_frame(plain, batch, frames)
        del plain
    results = [run_setting(cfg, options, True, batch, device, counted)]
    if reference:
        if device.startswith('cuda'):
            torch.cuda.empty_cache()
        results.append(run_setting(cfg, options, False, batch, device, counted))
    return results
