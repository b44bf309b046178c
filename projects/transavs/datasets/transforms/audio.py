"""A clip's audio: wav/flac/video decoding and VGGish log-mel examples ``[T, 1, 96, 64]``.

Two ways to the VGGish input of a clip of ``T`` frames (layouts:
docs/en/user_guides/1_dataset_prepare.md):

- from the waveform: :class:`LoadAudioWaveform` (a file) or :class:`LoadAudioFromNDArray`
  (an array) mix it down to mono 16 kHz, then :class:`WaveformToLogMel` runs the VGGish
  frontend of :mod:`.vggish_frontend` (equal to torchvggish's for 16 kHz audio);
- from precomputed log-mels: :class:`LoadAudioLogMel`, either AVSBench's official ``.pkl``
  (read with a restricted unpickler, :func:`~projects.transavs.datasets.load_tensor_pickle`)
  or our ``.npy`` cache written by ``tools/extract_log_mel.py``.
"""
import os.path as osp
import warnings
from typing import Optional, Tuple

import numpy as np
import soundfile as sf
import torch
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ..safe_pickle import load_tensor_pickle
from .vggish_frontend import (
    EXAMPLE_FRAMES,
    MIN_EXAMPLE_SAMPLES,
    NUM_MEL_BINS,
    PAD_MODES,
    VGGISH_SAMPLE_RATE,
    log_mel_examples,
    log_mel_range,
    pad_or_crop_examples,
    prepare_waveform,
)

__all__ = [
    'read_audio', 'LoadAudioWaveform', 'LoadAudioFromNDArray', 'WaveformToLogMel',
    'LoadAudioLogMel'
]

# Extensions that libsndfile reads; anything else (mp4, mkv, webm, m4a, ...) goes to PyAV.
_SOUNDFILE_EXTENSIONS = ('.wav', '.flac', '.ogg', '.aiff', '.aif', '.au')
EXAMPLE_SHAPE = (1, EXAMPLE_FRAMES, NUM_MEL_BINS)


def _read_soundfile(path: str) -> Tuple[np.ndarray, int]:
    """``[S, C]`` float32 and the sample rate via libsndfile (integers scaled to [-1, 1))."""
    data, sample_rate = sf.read(path, dtype='float32', always_2d=True)  # [S, C]
    return data, int(sample_rate)


def _wav_declared_frames(path: str) -> Optional[int]:
    """The frame count a RIFF/WAVE header declares (``data`` chunk bytes / block align).

    Args:
        path (str): the file.

    Returns:
        int | None: the declared frames; None for a file that is not RIFF/WAVE, has no
        ``fmt``/``data`` chunk in its header, or declares no usable size (0 or 0xFFFFFFFF, as
        streaming writers leave it; RF64 is skipped).
    """
    with open(path, 'rb') as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b'RIFF' or head[8:12] != b'WAVE':
            return None
        block_align = None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            chunk_id, size = chunk[:4], int.from_bytes(chunk[4:], 'little')
            if chunk_id == b'data':
                if not block_align or size in (0, 0xFFFFFFFF):
                    return None
                return size // block_align
            if chunk_id == b'fmt ':
                fmt = f.read(size)
                if len(fmt) < 14:
                    return None
                block_align = int.from_bytes(fmt[12:14], 'little')
                f.seek(size % 2, 1)  # chunks are word aligned
            else:
                f.seek(size + size % 2, 1)


def _check_wav_length(path: str, frames_read: int, sample_rate: int) -> None:
    """Warns when a wav holds fewer frames than its header declares (a truncated file).

    libsndfile shortens its frame count to the bytes present without an error, so the
    header's ``data`` chunk size is read here and compared with the frames decoded.

    Args:
        path (str): the wav file (named in the warning).
        frames_read (int): the frames soundfile decoded.
        sample_rate (int): its sample rate (to give the missing part in seconds).
    """
    try:
        declared = _wav_declared_frames(path)
    except OSError:
        return
    if declared is not None and frames_read < declared:
        missing = declared - frames_read
        warnings.warn(f'audio file {path} is truncated: its header declares {declared} frames '
                      f'({declared / sample_rate:.3f} s) but only {frames_read} '
                      f'({frames_read / sample_rate:.3f} s) are in the file; '
                      f'{missing} frames ({missing / sample_rate:.3f} s) are missing (the '
                      'clip\'s log-mels are padded over them; re-extract the wav)')


def _read_pyav(path: str) -> Tuple[np.ndarray, int]:
    """``[S, C]`` float32 and the sample rate of the first audio stream of a container."""
    import av  # PyAV; imported here so that wav-only users never load FFmpeg

    with av.open(path) as container:
        if not container.streams.audio:
            raise ValueError('the container has no audio stream')
        stream = container.streams.audio[0]
        # Converts whatever the codec decodes to (s16, s32p, flt ...) to planar float32,
        # keeping the channel layout and the sample rate.
        resampler = av.AudioResampler(format='fltp')
        chunks, sample_rate = [], stream.rate
        for frame in container.decode(stream):
            sample_rate = frame.sample_rate
            chunks += [out.to_ndarray() for out in resampler.resample(frame)]  # [C, n] each
        chunks += [out.to_ndarray() for out in resampler.resample(None)]
    if not chunks:
        return np.zeros((0, 1), dtype=np.float32), int(sample_rate or 0)
    return np.concatenate(chunks, axis=1).T.astype(np.float32, copy=False), int(sample_rate)


def read_audio(path: str) -> Tuple[np.ndarray, int]:
    """Decodes an audio file or the first audio stream of a video file.

    wav/flac/ogg/aiff are read with soundfile (libsndfile), other containers (mp4, mkv,
    m4a ...) with PyAV (FFmpeg). A file that soundfile cannot read is tried with PyAV too.

    Args:
        path (str): the file.

    Returns:
        tuple[np.ndarray, int]: ``[S, C]`` float32 samples in [-1, 1] and the sample rate.

    Warns:
        UserWarning: a wav holds fewer frames than its header declares (a truncated file,
            which libsndfile reads short without an error); the warning names the file and
            the frames and seconds missing.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: no decoder could read it; the message names the file and both reasons.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'audio file not found: {path}')
    errors = []
    readers = [_read_soundfile, _read_pyav]
    if osp.splitext(path)[1].lower() not in _SOUNDFILE_EXTENSIONS:
        readers = [_read_pyav]
    for reader in readers:
        try:
            data, sample_rate = reader(path)
        except Exception as err:  # decoders raise many types on corrupt data
            errors.append(f'{reader.__name__.strip("_")}: {type(err).__name__}: {err}')
            continue
        if reader is _read_soundfile and sample_rate > 0:
            _check_wav_length(path, data.shape[0], sample_rate)
        return data, sample_rate
    raise ValueError(f'audio file is unreadable: {path} ({"; ".join(errors)}); expected '
                     'wav/flac audio or a video container with an audio stream')


@TRANSFORMS.register_module()
class LoadAudioWaveform(BaseTransform):
    """Reads a clip's audio file as a mono waveform at a fixed sample rate.

    The channels are averaged (as torchvggish does) and the result is resampled with
    ``torchaudio.functional.resample``, both by
    :func:`~.vggish_frontend.prepare_waveform`. Silent audio is valid.

    Required Keys:

    - audio_path (str): a wav/flac file, or a video container (mp4 ...) with an audio stream.

    Added Keys:

    - audio_wave (np.float32 ``[S]``): mono samples in [-1, 1].
    - audio_sample_rate (int): ``sample_rate``.

    Args:
        sample_rate (int): the output sample rate. Defaults to 16000 (VGGish's, which
            :class:`WaveformToLogMel` requires).
    """

    def __init__(self, sample_rate: int = VGGISH_SAMPLE_RATE) -> None:
        if int(sample_rate) != sample_rate or sample_rate <= 0:
            raise ValueError(f'{type(self).__name__}: sample_rate must be a positive int, got '
                             f'{sample_rate!r}')
        self.sample_rate = int(sample_rate)

    def transform(self, results: dict) -> dict:
        path = results.get('audio_path')
        if not path:
            raise KeyError(f'{type(self).__name__}: results has no audio_path; expected the '
                           'path of the clip\'s wav (set by the AVSBench dataset)')
        data, sample_rate = read_audio(path)  # [S, C]
        return self._set_wave(results, data, sample_rate, f'audio file {path}')

    def _set_wave(self, results: dict, data: np.ndarray, sample_rate: int,
                  source: str) -> dict:
        """Checks ``[S]``/``[S, C]`` samples, then stores them as mono ``sample_rate`` audio.

        Args:
            results (dict): the results to update.
            data (np.ndarray): ``[S]`` or ``[S, C]`` samples (float, int16 or int32).
            sample_rate (int): the rate of ``data``.
            source (str): what ``data`` is, for error messages (e.g. ``'audio file x.wav'``).

        Returns:
            dict: ``results`` with ``audio_wave`` (np.float32 ``[S']``) and
            ``audio_sample_rate``.
        """
        if data.ndim not in (1, 2):
            raise ValueError(f'{source} has shape {data.shape}; expected [S] or [S, C] '
                             '(samples, channels)')
        if data.shape[0] == 0 or data.ndim == 2 and data.shape[1] == 0:
            raise ValueError(f'{source} has no samples (shape {data.shape})')
        if int(sample_rate) != sample_rate or sample_rate <= 0:
            raise ValueError(f'{source} has an invalid sample rate {sample_rate!r}; expected a '
                             'positive int (Hz)')
        if np.issubdtype(data.dtype, np.floating) and not np.isfinite(data).all():
            raise ValueError(f'{source} contains NaN or Inf samples')
        if data.ndim == 2 and data.shape[1] > 2:
            warnings.warn(f'{source} has {data.shape[1]} channels (surround?); they are averaged '
                          'into one, as VGGish hears mono audio (a sound that is loud in one '
                          'channel only is quieter there). Down-mix it yourself to choose '
                          'otherwise.')
        try:
            wave = prepare_waveform(data, int(sample_rate), self.sample_rate)  # [S'] float64
        except (TypeError, ValueError) as err:
            raise type(err)(f'{source}: {err}') from err
        results['audio_wave'] = wave.numpy().astype(np.float32)
        results['audio_sample_rate'] = self.sample_rate
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(sample_rate={self.sample_rate})'


@TRANSFORMS.register_module()
class LoadAudioFromNDArray(LoadAudioWaveform):
    """Turns a clip's waveform array into a mono waveform at a fixed sample rate.

    The array counterpart of :class:`LoadAudioWaveform` (as mmcv's ``LoadImageFromNDArray``
    is of ``LoadImageFromFile``), with the same mix-down and resampling; for audio that is
    already decoded, e.g. in :func:`~projects.transavs.apis.inference_avs`.

    Required Keys:

    - audio_wave (np.ndarray ``[S]`` or ``[S, C]``): float in [-1, 1], or int16 / int32.
    - audio_sample_rate (int): its sample rate.

    Modified Keys:

    - audio_wave (np.float32 ``[S']``): mono samples at ``sample_rate``.
    - audio_sample_rate (int): ``sample_rate``.

    Args:
        sample_rate (int): the output sample rate. Defaults to 16000 (VGGish's).
    """

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        if 'audio_wave' not in results or 'audio_sample_rate' not in results:
            raise KeyError(f'{owner}: results needs audio_wave (a waveform array [S] or '
                           '[S, C]) and audio_sample_rate (its rate in Hz)')
        data = results['audio_wave']
        if not isinstance(data, np.ndarray):
            raise TypeError(f'{owner}: results[\'audio_wave\'] must be a numpy array, got '
                            f'{type(data).__name__}')
        if data.ndim == 2 and data.shape[1] > data.shape[0]:
            raise ValueError(f'{owner}: results[\'audio_wave\'] has shape {data.shape}: more '
                             'channels than samples; expected [S, C] (samples first), '
                             'transpose it')
        source = f"{owner}: audio array results['audio_wave']"
        return self._set_wave(results, data, results['audio_sample_rate'], source)


def _check_pad_mode(pad_mode: str, owner: str) -> str:
    if pad_mode not in PAD_MODES:
        raise ValueError(f'{owner}: unknown pad_mode {pad_mode!r}; expected one of {PAD_MODES}')
    return pad_mode


def _num_examples(results: dict, num_examples: Optional[int], owner: str) -> int:
    """``num_examples`` or else ``results['clip_seconds']`` (T, one example per second)."""
    num = results.get('clip_seconds') if num_examples is None else num_examples
    if num is None:
        raise KeyError(f'{owner}: results has no clip_seconds and num_examples is None; expected '
                       'the clip length T (5 for AVSBench v1)')
    if int(num) != num or num < 1:
        raise ValueError(f'{owner}: the number of examples must be a positive int, got {num!r}')
    return int(num)


_PAD_POLICY = {
    'repeat': "by repeating the last example (pad_mode='repeat', as the official AVSBench v1 "
              'log-mels were made)',
    'zeros': "with zeros (pad_mode='zeros', as AVSBench v2)",
}


def _warn_short_audio(results: dict, count: int, num: int, pad_mode: str, source: str,
                      owner: str) -> None:
    """Warns when the audio covers fewer seconds than the clip has real frames.

    Frames that the dataset itself padded (``results['frame_padded']`` True:
    AVSBench-semantic's v1 clips brought from 5 to 10 frames) have no audio by design and
    are not counted; padding them is expected.

    Args:
        results (dict): the transform's results (``frame_padded`` is read when present).
        count (int): the examples (seconds) the audio gives.
        num (int): the examples wanted (``T``).
        pad_mode (str): ``'repeat'`` or ``'zeros'``, named in the warning.
        source (str): the audio file (or array) named in the warning.
        owner (str): the transform's name.
    """
    padded = results.get('frame_padded')
    real = num if padded is None else min(num, sum(not p for p in padded))
    if count < real:
        warnings.warn(f'{owner}: {source} covers {count} s of audio (VGGish examples) but the '
                      f'clip has {real} real frame(s); {real - count} s padded '
                      f'{_PAD_POLICY[pad_mode]}')


@TRANSFORMS.register_module()
class WaveformToLogMel(BaseTransform):
    """Computes a clip's VGGish log-mel examples from its 16 kHz mono waveform.

    The waveform comes from :class:`LoadAudioWaveform` or :class:`LoadAudioFromNDArray`,
    which mix it down and resample it (once); this step only runs the VGGish frontend
    (:func:`~.vggish_frontend.log_mel_examples`). Audio shorter than one example (0.975 s,
    15600 samples) is zero-padded at the end to one example, with a warning naming the file.
    The examples (one per second) are then padded or cut to ``T`` (see
    :func:`~.vggish_frontend.pad_or_crop_examples`).

    Padding policy: audio that gives fewer examples than ``T`` is padded at the end, by
    repeating the last example (``pad_mode='repeat'``, AVSBench v1: the official log-mels
    were made so) or with zeros (``pad_mode='zeros'``, AVSBench v2 and AVSBench-semantic).
    When the audio covers fewer seconds than the clip has real frames (e.g. a 3 s wav for a
    5-frame clip) a warning names the file, the seconds padded and the policy. Frames the
    dataset padded (``frame_padded`` True: AVSBench-semantic's v1 clips, 5 frames brought to
    10) have no audio by design: padding their seconds is expected and not warned about.

    Required Keys:

    - audio_wave (np.ndarray | torch.Tensor ``[S]``): mono, floating, at 16 kHz.
    - audio_sample_rate (int): must be 16000.
    - clip_seconds (int): ``T``, unless ``num_examples`` is given.
    - audio_path (str, optional): only to name the file in messages.
    - frame_padded (list[bool], optional): ``[T]``, the frames the dataset padded (not
      counted when deciding to warn about short audio).

    Added Keys:

    - audio_log_mel (torch.float32 ``[T, 1, 96, 64]``).

    Removed Keys: audio_wave.

    Args:
        num_examples (int, optional): ``T``; defaults to ``results['clip_seconds']``.
        pad_mode (str): ``'repeat'`` the last example (AVSBench v1) or ``'zeros'`` (v2).
            Defaults to ``'repeat'``.
    """

    def __init__(self, num_examples: Optional[int] = None, pad_mode: str = 'repeat') -> None:
        self.num_examples = num_examples
        self.pad_mode = _check_pad_mode(pad_mode, type(self).__name__)

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        if 'audio_wave' not in results or 'audio_sample_rate' not in results:
            raise KeyError(f'{owner}: results needs audio_wave and audio_sample_rate; put '
                           'LoadAudioWaveform (or LoadAudioFromNDArray) before it in the '
                           'pipeline')
        num = _num_examples(results, self.num_examples, owner)
        source = results.get('audio_path') or "results['audio_wave']"
        rate, wave = results['audio_sample_rate'], results['audio_wave']
        if rate != VGGISH_SAMPLE_RATE:
            raise ValueError(f'{owner}: the audio of {source} is at {rate} Hz; expected '
                             f'{VGGISH_SAMPLE_RATE} Hz mono, as LoadAudioWaveform and '
                             'LoadAudioFromNDArray give with their default sample_rate')
        floating = (wave.is_floating_point() if isinstance(wave, torch.Tensor) else
                    isinstance(wave, np.ndarray) and np.issubdtype(wave.dtype, np.floating))
        if not floating or wave.ndim != 1:
            got = (f'{type(wave).__name__} of shape {tuple(wave.shape)} and dtype {wave.dtype}'
                   if hasattr(wave, 'shape') else type(wave).__name__)
            raise ValueError(f"{owner}: results['audio_wave'] of {source} is a {got}; expected "
                             'a mono floating waveform [S] (from LoadAudioWaveform or '
                             'LoadAudioFromNDArray)')
        wave = torch.as_tensor(wave).double()  # [S], the frontend runs in float64
        if wave.shape[0] < MIN_EXAMPLE_SAMPLES:
            warnings.warn(
                f'{source}: audio is {wave.shape[0] / VGGISH_SAMPLE_RATE:.3f} s long, shorter '
                f'than one VGGish example ({MIN_EXAMPLE_SAMPLES / VGGISH_SAMPLE_RATE:.3f} s); '
                'zero-padded to one example')
            wave = torch.nn.functional.pad(wave, (0, MIN_EXAMPLE_SAMPLES - wave.shape[0]))
        examples = log_mel_examples(wave).float()  # [n, 1, 96, 64], n >= 1
        _warn_short_audio(results, examples.shape[0], num, self.pad_mode, source, owner)
        results['audio_log_mel'] = pad_or_crop_examples(examples, num, self.pad_mode)
        results.pop('audio_wave')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_examples={self.num_examples}, '
                f"pad_mode='{self.pad_mode}')")


@TRANSFORMS.register_module()
class LoadAudioLogMel(BaseTransform):
    """Reads a clip's precomputed VGGish log-mel examples.

    Required Keys:

    - log_mel_path (str): AVSBench's official ``.pkl`` (``source='pkl'``), read with the
      restricted unpickler :func:`~projects.transavs.datasets.load_tensor_pickle`;
    - or log_mel_cache_path (str): our ``.npy`` cache (``source='npy'``), read with
      ``np.load(allow_pickle=False)``.
    - clip_seconds (int): ``T``, unless ``num_examples`` is given.

    Added Keys:

    - audio_log_mel (torch.float32 ``[T, 1, 96, 64]``).

    - frame_padded (list[bool], optional): ``[T]``, the frames the dataset padded.

    The file must hold a finite floating array ``[n, 1, 96, 64]`` with ``n >= 1``; ``n > T``
    is cut. Padding policy: ``n < T`` is padded at the end by repeating the last example
    (``pad_mode='repeat'``, as the official AVSBench v1 data were made) or with zeros
    (``'zeros'``, AVSBench v2); when ``n`` is below the clip's real frames (``T`` less the
    ``frame_padded`` ones) a warning names the file, the seconds padded and the policy.

    Args:
        source (str): ``'pkl'`` or ``'npy'``. Defaults to ``'pkl'``.
        pad_mode (str): ``'repeat'`` or ``'zeros'``. Defaults to ``'repeat'``.
        num_examples (int, optional): ``T``; defaults to ``results['clip_seconds']``.
    """

    SOURCES = {'pkl': 'log_mel_path', 'npy': 'log_mel_cache_path'}

    def __init__(self,
                 source: str = 'pkl',
                 pad_mode: str = 'repeat',
                 num_examples: Optional[int] = None) -> None:
        if source not in self.SOURCES:
            raise ValueError(f'{type(self).__name__}: unknown source {source!r}; expected one '
                             f'of {tuple(self.SOURCES)}')
        self.source = source
        self.pad_mode = _check_pad_mode(pad_mode, type(self).__name__)
        self.num_examples = num_examples

    def _load(self, path: str) -> torch.Tensor:
        if self.source == 'pkl':
            return load_tensor_pickle(path)
        if not osp.isfile(path):
            raise FileNotFoundError(f'log-mel cache file not found: {path} (write it with '
                                    'tools/extract_log_mel.py)')
        try:
            array = np.load(path, allow_pickle=False)
        except Exception as err:  # np.load raises ValueError/OSError/EOFError on bad files
            raise ValueError(f'log-mel cache file is unreadable: {path} ({err}); expected a '
                             '.npy float array [n, 1, 96, 64]') from err
        if not isinstance(array, np.ndarray):
            raise ValueError(f'log-mel cache file holds a {type(array).__name__}: {path}; '
                             'expected a .npy float array [n, 1, 96, 64]')
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f'log-mel file {path} has dtype {array.dtype}; expected a float '
                             'array [n, 1, 96, 64]')
        return torch.from_numpy(array)

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        key = self.SOURCES[self.source]
        path = results.get(key)
        if not path:
            raise KeyError(f'{owner}: results has no {key} (needed for source={self.source!r})')
        num = _num_examples(results, self.num_examples, owner)
        log_mel = self._load(path)
        if log_mel.dim() != 4 or tuple(log_mel.shape[1:]) != EXAMPLE_SHAPE or \
                log_mel.shape[0] < 1:
            raise ValueError(f'log-mel file {path} holds shape {tuple(log_mel.shape)}; expected '
                             f'[n, {", ".join(map(str, EXAMPLE_SHAPE))}] with n >= 1 '
                             f'(AVSBench v1: [{num}, 1, 96, 64])')
        if not log_mel.is_floating_point():
            raise ValueError(f'log-mel file {path} has dtype {log_mel.dtype}; expected float')
        if not torch.isfinite(log_mel).all():
            raise ValueError(f'log-mel file {path} contains NaN or Inf values')
        low, high = log_mel_range()
        lo, hi = float(log_mel.min()), float(log_mel.max())
        if lo < low - 1e-3 or hi > high + 1e-3:
            raise ValueError(
                f'log-mel file {path} holds values in [{lo:.4g}, {hi:.4g}], outside '
                f'[{low:.3f}, {high:.3f}], the range of VGGish log-mels (log(mel + 0.01)) of a '
                'waveform in [-1, 1]: it was made another way (e.g. from int16 samples not '
                'divided by 32768) or is corrupt; re-extract it from the wav '
                '(tools/extract_log_mel.py) or read the wav (LoadAudioWaveform + '
                'WaveformToLogMel)')
        log_mel = log_mel.float()
        _warn_short_audio(results, log_mel.shape[0], num, self.pad_mode, f'log-mel file {path}',
                          owner)
        results['audio_log_mel'] = pad_or_crop_examples(log_mel, num,
                                                        self.pad_mode).contiguous()
        return results

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(source='{self.source}', "
                f"pad_mode='{self.pad_mode}', num_examples={self.num_examples})")
