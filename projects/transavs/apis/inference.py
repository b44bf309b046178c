"""Inference on your own clip: build a model from a config, then segment frames with audio.

:func:`init_model` builds a TransAVS model from a config (and a checkpoint) for inference;
:func:`inference_avs` runs it on one clip given as video frames and a waveform or audio file
through the config's test pipeline, as mmseg's ``inference_model`` does with
``LoadImageFromNDArray``:

- ``LoadClipFrames`` becomes :class:`LoadClipFramesFromNDArray` with the arguments that
  resize (``scale``, ``interpolation``, ``backend``, ``keep_ratio_crop``: the frames are
  resized as in testing); those of reading files and padding clips (``imdecode_backend``,
  ``pad_value``, ``backend_args``) are dropped;
- the audio step becomes :class:`LoadAudioWaveform` (a file) or :class:`LoadAudioFromNDArray`
  (a waveform array), then :class:`WaveformToLogMel` with ``T`` examples
  (``T = model.decode_head.clip_seconds``), padded as the config's audio step pads
  (``pad_mode``; AVSBench v1 repeats the last example) or cut when longer; audio shorter
  than one example is zero-padded with a warning;
- steps that load ground truth (``LoadClipMasks``, ``LoadClipSemanticLabels``) are left
  out, the others (e.g. ``PackAVSInputs``) kept;
- frame ``i`` at ``frame_times[i]`` seconds takes the audio of second
  ``clamp(floor(t), 0, T - 1)``.

The model restores the predictions to the frames' size (``ori_shape``) in
``TransAVS.postprocess_result``.

Example::

    model = init_model('configs/transavs_r50_s4.py', 'iter_90000.pth', device='cuda:0')
    result = inference_avs(model, frames, 'clip.wav')  # frames: [F, H, W, 3] RGB uint8
    result.pred_fg_prob.data  # [F, H, W] foreground probability at the frames' size
"""
import copy
import math
import os
import os.path as osp
import warnings
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS, TRANSFORMS
from torch import nn

from ..datasets.transforms import read_image
from ..engine import load_checkpoint_to_model, read_config
from ..structures import AVSDataSample

__all__ = ['init_model', 'inference_avs', 'pipeline_frame_scale', 'pipeline_audio_pad_mode']

FrameInput = Union[np.ndarray, Sequence[Union[np.ndarray, str, os.PathLike]]]
AudioInput = Union[np.ndarray, str, os.PathLike]

#: The test pipeline of a model without a config (``model.cfg``).
DEFAULT_TEST_PIPELINE = (
    dict(type='LoadClipFrames', scale=(224, 224)),
    dict(type='LoadAudioWaveform'),
    dict(type='WaveformToLogMel'),
    dict(type='PackAVSInputs'),
)
FRAME_LOADERS = ('LoadClipFrames', 'LoadClipFramesFromNDArray')
WAVE_LOADERS = ('LoadAudioWaveform', 'LoadAudioFromNDArray')
LOG_MEL_LOADERS = ('LoadAudioLogMel', )
GROUND_TRUTH_STEPS = ('LoadClipMasks', 'LoadClipSemanticLabels')
#: The arguments of a frame loader that :class:`LoadClipFramesFromNDArray` takes (the others
#: read files or pad clips).
ARRAY_FRAME_ARGS = ('scale', 'interpolation', 'backend', 'keep_ratio_crop')


def init_model(config: Union[str, Path, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None,
               strict: bool = True) -> nn.Module:
    """Builds a segmentor from a config for inference and loads its weights.

    Args:
        config (str | Path | Config): config file path or a loaded config (not modified;
            a copy is kept).
        checkpoint (str, optional): checkpoint file, loaded with mmengine's
            restricted unpickling (``weights_only=True`` and the allow-list of mmengine's
            checkpoint contents, :func:`~projects.transavs.engine.load_checkpoint_to_model`)
            onto the CPU first. Without it the
            weights are random and a warning says so.
        device (str | torch.device): where the model runs, e.g. ``'cpu'`` or ``'cuda:0'``.
            Defaults to ``'cpu'``.
        cfg_options (dict, optional): overrides merged into the config
            (``Config.merge_from_dict``, as ``--cfg-options``).
        strict (bool): refuse a checkpoint whose weights do not fit the model (missing,
            unexpected or mis-shaped keys: another config or network). False loads what
            fits and logs a WARNING counting the rest (``--partial-load``). Defaults to True.

    Returns:
        nn.Module: the model in eval mode on ``device``, with the config as ``model.cfg``.

    Raises:
        TypeError: ``config`` is neither a path nor a Config.
        FileNotFoundError: the config or checkpoint file does not exist.
        CheckpointMismatchError: ``strict`` and the checkpoint does not fit the model
            (the message names the file and the first keys of each kind, with counts).
        CorruptCheckpointError: the checkpoint file is empty, truncated or not a checkpoint.
    """
    if isinstance(config, (str, Path)):
        config = read_config(str(config))
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a file path or an mmengine Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    if 'model' not in config:
        raise KeyError(f'config {config.filename or "<Config>"} has no "model" entry')
    init_default_scope(config.get('default_scope', 'mmseg'))
    model = MODELS.build(config.model)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint file not found: {checkpoint}')
        loaded = load_checkpoint_to_model(model, checkpoint, map_location='cpu',
                                          strict=strict)
        dataset_meta = loaded.get('meta', {}).get('dataset_meta') if isinstance(
            loaded, dict) else None
        if dataset_meta:
            model.dataset_meta = dataset_meta
    else:
        warnings.warn('init_model: no checkpoint given, the model weights are RANDOM and its '
                      'predictions meaningless; pass a trained checkpoint')
    model.cfg = config
    model.to(device)
    model.eval()
    return model


# ------------------------------------------------------------------------------ the pipeline
def _test_pipeline(cfg: Optional[Config]) -> List[dict]:
    """A config's test pipeline (``test_dataloader.dataset.pipeline`` or ``test_pipeline``).

    Without a config, or a config without a test pipeline: :data:`DEFAULT_TEST_PIPELINE`.
    """
    pipeline = None
    if cfg is not None:
        dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
        pipeline = dataset.get('pipeline') if hasattr(dataset, 'get') else None
        pipeline = pipeline or cfg.get('test_pipeline')
    return [copy.deepcopy(dict(step)) for step in pipeline or DEFAULT_TEST_PIPELINE]


def _step_type(step: dict) -> str:
    """The registered name of a pipeline step (``'mmseg.X'`` and classes give ``'X'``)."""
    kind = step.get('type')
    return kind.__name__ if isinstance(kind, type) else str(kind).split('.')[-1]


def _inference_pipeline(cfg: Optional[Config], audio_from_file: bool,
                        clip_seconds: int) -> List[dict]:
    """The config's test pipeline, rewritten to load one clip from arrays (module docstring).

    Args:
        cfg (Config, optional): the model's config (``model.cfg``).
        audio_from_file (bool): the audio is a file (``audio_path``), not a waveform array
            (``audio_wave`` and ``audio_sample_rate``).
        clip_seconds (int): ``T``, the number of log-mel examples.

    Returns:
        list[dict]: the transform configs.

    Raises:
        ValueError: the pipeline has no frame loader or no audio step.
    """
    where = (f'the test pipeline of config {cfg.filename or "<Config>"}' if cfg is not None
             else 'the default test pipeline')
    wave_loader = 'LoadAudioWaveform' if audio_from_file else 'LoadAudioFromNDArray'
    steps, has_frames, has_audio = [], False, False
    for step in _test_pipeline(cfg):
        kind = _step_type(step)
        args = {k: v for k, v in step.items() if k != 'type'}
        if kind in GROUND_TRUTH_STEPS:
            continue
        if kind in FRAME_LOADERS:
            args = {k: v for k, v in args.items() if k in ARRAY_FRAME_ARGS}
            steps.append(dict(args, type='LoadClipFramesFromNDArray'))
            has_frames = True
        elif kind in WAVE_LOADERS:
            steps.append(dict(args, type=wave_loader))
        elif kind in LOG_MEL_LOADERS:
            pad_mode = TRANSFORMS.build(step).pad_mode
            steps += [dict(type=wave_loader),
                      dict(type='WaveformToLogMel', num_examples=clip_seconds, pad_mode=pad_mode)]
            has_audio = True
        elif kind == 'WaveformToLogMel':
            steps.append(dict(args, type='WaveformToLogMel', num_examples=clip_seconds))
            has_audio = True
        else:
            steps.append(step)
    if not has_frames:
        raise ValueError(f'{where} has no frame loader (one of {FRAME_LOADERS}); inference_avs '
                         'loads the frames with LoadClipFramesFromNDArray and its arguments')
    if not has_audio:
        raise ValueError(f'{where} has no audio step (LoadAudioLogMel, or LoadAudioWaveform '
                         'and WaveformToLogMel); inference_avs computes the log-mels with '
                         'WaveformToLogMel')
    return steps


def pipeline_frame_scale(cfg: Optional[Config]) -> Tuple[Optional[Tuple[int, int]], str]:
    """The frame size and interpolation of a config's test pipeline (its frame loader).

    Args:
        cfg (Config, optional): the model's config (``model.cfg``).

    Returns:
        tuple: ``(scale, interpolation)``; ``scale`` is ``(w, h)``, or None when the pipeline
        keeps frames at their own size. Without a test pipeline: ((224, 224), 'bilinear').
    """
    step = next(s for s in _inference_pipeline(cfg, False, 1)
                if s['type'] == 'LoadClipFramesFromNDArray')
    loader = TRANSFORMS.build(step)
    return loader.scale, loader.interpolation


def pipeline_audio_pad_mode(cfg: Optional[Config]) -> str:
    """How a config's test pipeline pads audio to ``T`` examples (``'repeat'`` or ``'zeros'``).

    Args:
        cfg (Config, optional): the model's config (``model.cfg``).

    Returns:
        str: the ``pad_mode`` of its log-mel step (``'repeat'`` without a test pipeline).
    """
    step = next(s for s in _inference_pipeline(cfg, False, 1)
                if s['type'] == 'WaveformToLogMel')
    return TRANSFORMS.build(step).pad_mode


# ------------------------------------------------------------------------------------ inputs
def _load_frames(frames: FrameInput) -> List[np.ndarray]:
    """``[F, H, W, 3]`` array, or a list of ``[H, W, 3]`` arrays / image paths -> F arrays.

    Image paths are read (RGB); the arrays are checked by :class:`LoadClipFramesFromNDArray`.
    """
    if isinstance(frames, np.ndarray):
        if frames.ndim != 4:
            raise ValueError(f'frames has shape {frames.shape}; expected [F, H, W, 3] RGB '
                             'uint8 (a single frame needs a leading axis: frame[None])')
        items = list(frames)  # [F, H, W, 3] -> F x [H, W, 3]
    elif isinstance(frames, (str, os.PathLike)):
        raise TypeError(f'frames is a single path ({frames}); expected a list of image paths '
                        'or an [F, H, W, 3] array')
    else:
        items = list(frames)
    if not items:
        raise ValueError('inference_avs got no frames; expected at least one')
    items = [
        read_image(os.fspath(item), 'color', f'frame {i + 1}/{len(items)}')  # [H, W, 3] RGB
        if isinstance(item, (str, os.PathLike)) else item for i, item in enumerate(items)
    ]
    sizes = {tuple(np.shape(item)[:2]) for item in items}
    if len(sizes) != 1:
        raise ValueError(f'frames have different sizes (H, W) {sorted(sizes)}; inference_avs '
                         'takes frames of one size per call (resize them, or call it once '
                         'per size)')
    return items


def _audio_results(audio: AudioInput, sample_rate: Optional[int]) -> dict:
    """The pipeline's audio entries: ``audio_path``, or ``audio_wave`` and its rate."""
    if isinstance(audio, (str, os.PathLike)):
        if sample_rate is not None:
            raise ValueError('sample_rate is only for waveform arrays; the rate of an audio '
                             f'file ({os.fspath(audio)}) is read from the file')
        return dict(audio_path=os.fspath(audio))
    if isinstance(audio, np.ndarray):
        if sample_rate is None:
            raise ValueError('audio is a waveform array, so inference_avs needs its '
                             'sample_rate (e.g. sample_rate=16000)')
        return dict(audio_wave=audio, audio_sample_rate=sample_rate)
    raise TypeError(f'audio must be a waveform numpy array or a file path, got '
                    f'{type(audio).__name__}')


def _frame_seconds(frame_times: Optional[Sequence[float]], num_frames: int,
                   clip_seconds: int) -> Tuple[List[float], List[int]]:
    """Each frame's time (default ``i + 0.5``) and its audio second ``clamp(floor(t), 0, T-1)``."""
    if frame_times is None:
        times = [i + 0.5 for i in range(num_frames)]
    else:
        times = [float(t) for t in np.asarray(frame_times, dtype=np.float64).reshape(-1)]
        if len(times) != num_frames:
            raise ValueError(f'frame_times has {len(times)} entries for {num_frames} frames; '
                             'expected one time (seconds from the clip start) per frame')
        if not all(math.isfinite(t) for t in times):
            raise ValueError(f'frame_times must be finite seconds, got {times}')
    outside = [t for t in times if t < 0 or t >= clip_seconds]
    if outside:
        warnings.warn(f'inference_avs: {len(outside)} frame time(s) (e.g. {outside[0]} s) lie '
                      f'outside the model\'s clip of {clip_seconds} s; those frames use the '
                      'first/last second\'s audio (split long inputs into windows of '
                      f'{clip_seconds} s, as tools/infer.py does)')
    seconds = [min(max(int(math.floor(t)), 0), clip_seconds - 1) for t in times]
    return times, seconds


# --------------------------------------------------------------------------------- inference
def inference_avs(model: nn.Module,
                  frames: FrameInput,
                  audio: AudioInput,
                  sample_rate: Optional[int] = None,
                  frame_times: Optional[Sequence[float]] = None) -> AVSDataSample:
    """Segments the sounding objects in the frames of one clip.

    The clip is at most ``T = model.decode_head.clip_seconds`` seconds long (5 for AVSBench v1);
    split longer inputs into windows of ``T`` seconds (``tools/infer.py`` does). It may hold
    any number of frames ``F``: each frame is matched to one second of the audio. The inputs
    go through the config's test pipeline with array loaders (module docstring) and the
    model's ``test_step``.

    Args:
        model (nn.Module): from :func:`init_model` (its ``model.cfg`` gives the test
            pipeline; without a config, :data:`DEFAULT_TEST_PIPELINE`: frames at 224 x 224).
        frames (np.ndarray | list): ``[F, H, W, 3]`` RGB uint8, or a list of ``[H, W, 3]``
            RGB uint8 arrays or image paths. All frames must have one size.
        audio (np.ndarray | str): a waveform ``[S]`` or ``[S, C]`` (float in [-1, 1], or
            int16/int32), or the path of an audio file (wav/flac) or of a video file with an
            audio stream. Audio after ``T`` examples (4.8 s for T = 5) is not used.
        sample_rate (int, optional): the rate of a waveform array; required with one, not
            allowed with a file.
        frame_times (Sequence[float], optional): seconds of each frame from the clip start.
            Defaults to ``i + 0.5`` for frame ``i`` (one frame per second, as AVSBench).

    Returns:
        AVSDataSample: ``pred_fg_prob`` (float32 ``[F, H, W]``, foreground probability resized
        bilinearly to the frames' size) and ``pred_sem_seg`` (uint8 ``[F, H, W]``: binary
        models ``pred_fg_prob > 0.5``; models of ``K > 2`` classes the class map, 0 =
        background), on the model's device; metainfo ``frame_times``,
        ``frame_seconds`` (the audio second of each frame), ``num_frames`` (F),
        ``clip_seconds`` (T), ``ori_shape`` (the frames' (H, W)) and ``img_shape`` (the
        network input (h, w)).

    Raises:
        ValueError / TypeError: no frames, frames that are not RGB uint8 ``[H, W, 3]`` or
        differ in size, a waveform without ``sample_rate``, ``frame_times`` of the wrong
        length, a test pipeline without a frame loader or an audio step.
    """
    head = getattr(model, 'decode_head', None)
    if head is None or not hasattr(head, 'clip_seconds'):
        raise TypeError(f'inference_avs needs a TransAVS model (with decode_head.clip_seconds), '
                        f'got {type(model).__name__}')
    clip_seconds = int(head.clip_seconds)
    images = _load_frames(frames)  # F x [H, W, 3]
    times, seconds = _frame_seconds(frame_times, len(images), clip_seconds)
    results = dict(frames=images, num_frames=len(images), **_audio_results(audio, sample_rate))
    if seconds != list(range(clip_seconds)):  # not one frame per second of the clip
        results['frame_seconds'] = seconds  # [F]

    steps = _inference_pipeline(getattr(model, 'cfg', None), 'audio_path' in results,
                                clip_seconds)
    packed = Compose([TRANSFORMS.build(step) for step in steps])(results)
    if not isinstance(packed, dict) or 'inputs' not in packed or \
            not {'ori_shape', 'img_shape'} <= set(packed['data_samples'].metainfo):
        raise ValueError('the test pipeline must end with PackAVSInputs keeping ori_shape and '
                         'img_shape in its meta_keys (inference_avs restores the frames\' size '
                         'from them)')
    with torch.no_grad():
        result = model.test_step(pseudo_collate([packed]))[0]
    sample = AVSDataSample(metainfo=dict(
        frame_times=times, frame_seconds=seconds, num_frames=len(images),
        clip_seconds=clip_seconds, ori_shape=tuple(result.metainfo['ori_shape']),
        img_shape=tuple(result.metainfo['img_shape'])))
    sample.pred_fg_prob = result.pred_fg_prob
    sample.pred_sem_seg = result.pred_sem_seg
    return sample
