"""Inference on your own clip: build a model from a config, then segment frames with audio.

:func:`init_model` builds a TransAVS model from a config (and a checkpoint) for inference;
:func:`inference_avs` runs it on one clip given as video frames and a waveform or audio file,
preprocessed as the config's test pipeline does:

- frames are resized to the test input size (``LoadClipFrames.scale`` and ``interpolation`` of
  the config's test pipeline; (224, 224) bilinear when the config has none);
- the audio becomes ``T`` VGGish log-mel examples (``T = model.decode_head.num_frames``), padded
  as the config's audio transform pads (``pad_mode``; AVSBench v1 repeats the last example)
  or cut when longer; audio shorter than one example is zero-padded with a warning;
- frame ``i`` at ``frame_times[i]`` seconds takes the audio of second
  ``clamp(floor(t), 0, T - 1)``.

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

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.structures import PixelData
from mmseg.registry import MODELS, TRANSFORMS
from torch import nn

from ..datasets.transforms import LoadAudioWaveform, WaveformToLogMel, read_image
from ..structures import AVSDataSample

__all__ = ['init_model', 'inference_avs', 'pipeline_frame_scale', 'pipeline_audio_pad_mode']

FrameInput = Union[np.ndarray, Sequence[Union[np.ndarray, str, os.PathLike]]]
AudioInput = Union[np.ndarray, str, os.PathLike]

DEFAULT_INPUT_SCALE = (224, 224)  # (w, h) when the config has no LoadClipFrames
AUDIO_TRANSFORMS = ('LoadAudioLogMel', 'WaveformToLogMel')


def init_model(config: Union[str, Path, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Builds a segmentor from a config for inference and loads its weights.

    Args:
        config (str | Path | Config): config file path or a loaded config (not modified;
            a copy is kept).
        checkpoint (str, optional): checkpoint file, loaded with mmengine's
            ``load_checkpoint`` (restricted unpickling, see
            :mod:`projects.transavs.engine.safe_checkpoint`) onto the CPU first. Without it the
            weights are random and a warning says so.
        device (str | torch.device): where the model runs, e.g. ``'cpu'`` or ``'cuda:0'``.
            Defaults to ``'cpu'``.
        cfg_options (dict, optional): overrides merged into the config
            (``Config.merge_from_dict``, as ``--cfg-options``).

    Returns:
        nn.Module: the model in eval mode on ``device``, with the config as ``model.cfg``.

    Raises:
        TypeError: ``config`` is neither a path nor a Config.
        FileNotFoundError: the config or checkpoint file does not exist.
    """
    if isinstance(config, (str, Path)):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        config = Config.fromfile(str(config))
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
        loaded = load_checkpoint(model, checkpoint, map_location='cpu')
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


# --------------------------------------------------------------------- test-pipeline settings
def _test_pipeline(cfg: Config) -> list:
    """The test pipeline of a config: ``test_dataloader.dataset.pipeline`` or ``test_pipeline``."""
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    pipeline = dataset.get('pipeline') if hasattr(dataset, 'get') else None
    return list(pipeline or cfg.get('test_pipeline') or [])


def _find_transform(cfg: Optional[Config], names: Sequence[str]):
    """The first transform of the test pipeline whose type is in ``names``, built; or None."""
    if cfg is None:
        return None
    for step in _test_pipeline(cfg):
        kind = step.get('type') if hasattr(step, 'get') else None
        name = kind.__name__ if isinstance(kind, type) else str(kind).split('.')[-1]
        if name in names:
            return TRANSFORMS.build(step)
    return None


def pipeline_frame_scale(cfg: Optional[Config]) -> Tuple[Optional[Tuple[int, int]], str]:
    """The frame size and interpolation of a config's test pipeline (``LoadClipFrames``).

    Args:
        cfg (Config, optional): the model's config (``model.cfg``).

    Returns:
        tuple: ``(scale, interpolation)``; ``scale`` is ``(w, h)``, or None when the pipeline
        keeps frames at their own size. Without a ``LoadClipFrames``: ((224, 224), 'bilinear').
    """
    loader = _find_transform(cfg, ('LoadClipFrames', ))
    if loader is None:
        return DEFAULT_INPUT_SCALE, 'bilinear'
    return loader.scale, loader.interpolation


def pipeline_audio_pad_mode(cfg: Optional[Config]) -> str:
    """How a config's test pipeline pads audio to ``T`` examples (``'repeat'`` by default)."""
    transform = _find_transform(cfg, AUDIO_TRANSFORMS)
    return getattr(transform, 'pad_mode', 'repeat')


# ------------------------------------------------------------------------------------ inputs
def _check_frame(frame: np.ndarray, what: str) -> np.ndarray:
    if not isinstance(frame, np.ndarray):
        raise TypeError(f'{what} must be a numpy array, got {type(frame).__name__}')
    if frame.dtype != np.uint8:
        raise TypeError(f'{what} has dtype {frame.dtype}; expected uint8 RGB')
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape[0] < 1 or frame.shape[1] < 1:
        raise ValueError(f'{what} has shape {frame.shape}; expected [H, W, 3] RGB')
    return frame


def _load_frames(frames: FrameInput) -> List[np.ndarray]:
    """``[F, H, W, 3]`` array, or a list of ``[H, W, 3]`` arrays / image paths -> F arrays."""
    if isinstance(frames, np.ndarray):
        if frames.ndim != 4:
            raise ValueError(f'frames has shape {frames.shape}; expected [F, H, W, 3] RGB '
                             'uint8 (a single frame needs a leading axis: frame[None])')
        items = list(frames)
    elif isinstance(frames, (str, os.PathLike)):
        raise TypeError(f'frames is a single path ({frames}); expected a list of image paths '
                        'or an [F, H, W, 3] array')
    else:
        items = list(frames)
    if not items:
        raise ValueError('inference_avs got no frames; expected at least one')
    out = []
    for i, item in enumerate(items):
        what = f'frame {i + 1}/{len(items)}'
        if isinstance(item, (str, os.PathLike)):
            item = read_image(os.fspath(item), 'color', what)  # [H, W, 3] RGB
        out.append(_check_frame(item, what))
    sizes = {f.shape[:2] for f in out}
    if len(sizes) != 1:
        raise ValueError(f'frames have different sizes (H, W) {sorted(sizes)}; inference_avs '
                         'takes frames of one size per call (resize them, or call it once '
                         'per size)')
    return out


def _audio_log_mel(audio: AudioInput, sample_rate: Optional[int], num_seconds: int,
                   pad_mode: str) -> torch.Tensor:
    """A waveform or an audio/video file -> ``[T, 1, 96, 64]`` log-mels, as the pipeline does."""
    if isinstance(audio, (str, os.PathLike)):
        if sample_rate is not None:
            raise ValueError('sample_rate is only for waveform arrays; the rate of an audio '
                             f'file ({os.fspath(audio)}) is read from the file')
        results = LoadAudioWaveform()(dict(audio_path=os.fspath(audio)))  # mono 16 kHz
    elif isinstance(audio, np.ndarray):
        if sample_rate is None:
            raise ValueError('audio is a waveform array, so inference_avs needs its '
                             'sample_rate (e.g. sample_rate=16000)')
        if audio.ndim not in (1, 2):
            raise ValueError(f'audio array has shape {audio.shape}; expected [S] or [S, C]')
        if audio.ndim == 2 and audio.shape[1] > audio.shape[0]:
            raise ValueError(f'audio array has shape {audio.shape}: more channels than '
                             'samples; expected [S, C] (samples first), transpose it')
        if np.issubdtype(audio.dtype, np.floating) and not np.isfinite(audio).all():
            raise ValueError('audio array contains NaN or Inf samples')
        results = dict(audio_wave=audio, audio_sample_rate=sample_rate,
                       audio_path='<audio array>')
    else:
        raise TypeError(f'audio must be a waveform numpy array or a file path, got '
                        f'{type(audio).__name__}')
    results = WaveformToLogMel(num_examples=num_seconds, pad_mode=pad_mode)(results)
    return results['audio_log_mel']  # [T, 1, 96, 64]


def _frame_seconds(frame_times: Optional[Sequence[float]], num_frames: int,
                   num_seconds: int) -> Tuple[List[float], List[int]]:
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
    outside = [t for t in times if t < 0 or t >= num_seconds]
    if outside:
        warnings.warn(f'inference_avs: {len(outside)} frame time(s) (e.g. {outside[0]} s) lie '
                      f'outside the model\'s clip of {num_seconds} s; those frames use the '
                      'first/last second\'s audio (split long inputs into windows of '
                      f'{num_seconds} s, as tools/infer.py does)')
    seconds = [min(max(int(math.floor(t)), 0), num_seconds - 1) for t in times]
    return times, seconds


# --------------------------------------------------------------------------------- inference
def inference_avs(model: nn.Module,
                  frames: FrameInput,
                  audio: AudioInput,
                  sample_rate: Optional[int] = None,
                  frame_times: Optional[Sequence[float]] = None) -> AVSDataSample:
    """Segments the sounding objects in the frames of one clip.

    The clip is at most ``T = model.decode_head.num_frames`` seconds long (5 for AVSBench v1);
    split longer inputs into windows of ``T`` seconds (``tools/infer.py`` does). It may hold
    any number of frames ``F``: each frame is matched to one second of the audio.

    Args:
        model (nn.Module): from :func:`init_model` (needs ``model.cfg`` for the test input
            size; without it frames go in at 224 x 224).
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
        bilinearly to the frames' size) and ``pred_sem_seg`` (uint8 ``[F, H, W]``,
        ``pred_fg_prob > 0.5``), on the model's device; metainfo ``frame_times``,
        ``frame_seconds`` (the audio second of each frame), ``num_frames`` (F),
        ``num_seconds`` (T), ``ori_shape`` (the frames' (H, W)) and ``img_shape`` (the
        network input (h, w)).

    Raises:
        ValueError / TypeError: no frames, frames that are not RGB uint8 ``[H, W, 3]`` or
        differ in size, a waveform without ``sample_rate``, ``frame_times`` of the wrong
        length.
    """
    head = getattr(model, 'decode_head', None)
    if head is None or not hasattr(head, 'num_frames'):
        raise TypeError(f'inference_avs needs a TransAVS model (with decode_head.num_frames), '
                        f'got {type(model).__name__}')
    num_seconds = int(head.num_frames)
    cfg = getattr(model, 'cfg', None)
    images = _load_frames(frames)  # F x [H, W, 3]
    ori_hw = tuple(images[0].shape[:2])
    times, seconds = _frame_seconds(frame_times, len(images), num_seconds)

    scale, interpolation = pipeline_frame_scale(cfg)
    if scale is not None and ori_hw[::-1] != scale:
        images = [mmcv.imresize(img, scale, interpolation=interpolation) for img in images]
    # F x [h, w, 3] -> [F, h, w, 3] -> [F, 3, h, w]
    clip = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
    inputs = dict(frames=[clip],
                  audio_log_mel=[_audio_log_mel(audio, sample_rate, num_seconds,
                                                pipeline_audio_pad_mode(cfg))])
    if seconds != list(range(num_seconds)):  # not one frame per second of the clip
        inputs['frame_seconds'] = [torch.tensor(seconds, dtype=torch.long)]  # [F]

    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=inputs, data_samples=None), False)
        result = model.predict(**data)[0]
        probs = result.pred_fg_prob.data  # [F, h, w]
        if tuple(probs.shape[-2:]) != ori_hw:
            # (F, h, w) -> (F, 1, h, w) -> bilinear to (F, 1, H, W) -> (F, H, W)
            probs = F.interpolate(probs[:, None], size=ori_hw, mode='bilinear',
                                  align_corners=False)[:, 0].clamp_(0, 1)
    sample = AVSDataSample(metainfo=dict(
        frame_times=times, frame_seconds=seconds, num_frames=len(images),
        num_seconds=num_seconds, ori_shape=ori_hw, img_shape=tuple(clip.shape[-2:])))
    sample.pred_fg_prob = PixelData(data=probs.float())
    sample.pred_sem_seg = PixelData(data=(probs > 0.5).to(torch.uint8))
    return sample
