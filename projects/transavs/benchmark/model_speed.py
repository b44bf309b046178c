"""Speed, memory and FLOPs of a TransAVS config: a training step and inference, in the
configured fast setting and the plain reference setting.

The fast setting: the chosen AMP dtype, optionally ``torch.compile`` (the model's ``compile``
option: the training forward as one compiled function, the modules compiled in place for
inference) and channels-last. The reference: fp32, eager, no channels-last. Both use the same
attention kernels and match queries the same way (batched for binary frames, see
``AVSCriterion``). Each setting's training step is also profiled once (operators dispatched,
kernel launches on CUDA), and the training forward's graph breaks are counted once.
"""
import copy
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, ConfigDict
from mmengine.optim import build_optim_wrapper
from mmseg.registry import MODELS

from ..apis.inference import pipeline_frame_scale
from ..models.segmentors import COMPILE_MODES
from .batch import instance_targets_cfg, make_batch
from .compile_report import loss_graph_breaks, ops_per_step
from .flops import PEAK_TFLOPS, forward_flops_per_frame
from .timing import peak_memory_gib, timed

__all__ = ['AMP_DTYPES', 'COMPILE_MODES', 'SpeedOptions', 'benchmark_frame_size',
           'compile_options', 'model_cfg', 'run_setting', 'benchmark_model']

AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16, 'none': None}


@dataclass
class SpeedOptions:
    """What the fast setting uses and how long to time.

    Args:
        amp (str): ``'bf16'``, ``'fp16'`` or ``'none'``. Defaults to ``'none'``.
        compile (bool): ``torch.compile`` the model (its ``compile`` option). Defaults to
            False.
        compile_mode (str): The ``torch.compile`` mode, one of :data:`COMPILE_MODES`.
            Defaults to ``'default'``.
        compile_backend (str): The ``torch.compile`` backend (``'eager'`` and
            ``'aot_eager'`` compile in seconds and test the tracing). Defaults to
            ``'inductor'``.
        channels_last (bool): Channels-last memory format. Defaults to False.
        iters (int): Timed iterations. Defaults to 10.
        warmup (int): Iterations before the timed ones (the first is reported alone as
            ``first_step_s``: it compiles a compiled model). Defaults to 3.
        profile (bool): Profile one more training step (:func:`ops_per_step`). Defaults to
            True.
    """
    amp: str = 'none'
    compile: bool = False
    compile_mode: str = 'default'
    compile_backend: str = 'inductor'
    channels_last: bool = False
    iters: int = 10
    warmup: int = 3
    profile: bool = True


def compile_options(options: SpeedOptions) -> dict:
    """The model's ``compile`` option for the fast setting.

    Args:
        options (SpeedOptions): The fast setting's choices.

    Returns:
        dict: ``torch.compile`` options (``backend``, and ``mode`` for the inductor).
    """
    if options.compile_mode not in COMPILE_MODES:
        raise ValueError(f'compile_mode must be one of {COMPILE_MODES}, got '
                         f'{options.compile_mode!r}')
    result = dict(backend=options.compile_backend)
    if options.compile_backend == 'inductor':
        result['mode'] = options.compile_mode
    return result


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
            m.compile = compile_options(options)
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
        dict: ``setting``, ``compiled`` (bool), ``first_step_s`` (the first training step,
        with the compilation of a compiled model), ``step_s`` (median), ``clips_per_s``,
        ``infer_frames_per_s``, ``train_peak_gib``, ``infer_peak_gib``, ``params``,
        ``trainable``; with ``options.profile`` the counts of :func:`ops_per_step` for one
        training step (``aten_ops`` and, on CUDA, ``launches`` and ``device_kernels``); and
        with ``flops``, ``gflops_per_frame``, ``train_tflops_per_s`` and ``mfu`` (None where
        the device's peak is unknown).
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
    def train():
        model.train_step(copy.copy(batch), wrapper)

    # The first call (counted as warm-up) compiles a compiled model: timed on its own.
    first_step = timed(train, device, 0, 1)
    step = timed(train, device, max(options.warmup - 1, 0), options.iters)
    train_mem = peak_memory_gib(device)
    ops = ops_per_step(train, device) if options.profile else {}

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
        setting='fast' if fast else 'reference', compiled=bool(fast and options.compile),
        first_step_s=first_step, step_s=step,
        clips_per_s=len(batch['data_samples']) / step, infer_frames_per_s=num_frames / infer_time,
        train_peak_gib=train_mem, infer_peak_gib=infer_mem, params=params, trainable=trainable,
        **ops)
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
                    flops: bool = True, graphs: bool = True) -> List[dict]:
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
        graphs (bool): Count the graphs and graph breaks of the training forward under
            ``torch.compile`` (:func:`loss_graph_breaks`, on the reference model, whether or
            not the fast setting compiles). Defaults to True.

    Returns:
        list[dict]: :func:`run_setting`'s result for the fast setting, then the reference;
        with ``graphs``, each also holds ``graphs``, ``graph_breaks`` and ``break_reasons``.
    """
    options = options or SpeedOptions()
    size = benchmark_frame_size(cfg, size)
    frames = cfg.model.decode_head.get('clip_seconds', 5)
    # with the instance maps of the config's training pipeline, as its data loader gives them
    batch = make_batch(batch_clips, frames, size, device,
                       instance_targets=instance_targets_cfg(cfg))
    counted, graph_report = None, {}
    if flops or graphs:
        torch.manual_seed(0)
        plain = MODELS.build(model_cfg(cfg, False, options)).to(device)
        if flops:
            with torch.no_grad():
                counted = forward_flops_per_frame(plain.eval(), batch, frames)
        if graphs:
            graph_report = loss_graph_breaks(plain.train(), batch)
        del plain
    results = [run_setting(cfg, options, True, batch, device, counted)]
    if reference:
        if device.startswith('cuda'):
            torch.cuda.empty_cache()
        results.append(run_setting(cfg, options, False, batch, device, counted))
    for result in results:
        result.update(graph_report)
    return results
