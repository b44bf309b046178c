"""The VGGish audio frontend: waveform -> log-mel examples ``[n, 1, 96, 64]`` (as torchvggish).

The VGGish checkpoints that AVS researchers use (``vggish-10086976.pth``) were trained on the
frontend of TensorFlow's VGGish, which torchvggish ports as
``vggish_input.waveform_to_examples``. This module computes the same features with torch,
on any device and batched over leading dimensions:

1. mono mixdown (mean over channels), resampling to 16 kHz (:func:`prepare_waveform`, which
   the waveform loaders call: the log-mel step takes their 16 kHz mono output);
2. frames of 400 samples (25 ms) every 160 samples (10 ms), with no centre padding;
3. a periodic Hann window, then each frame zero-padded *at the end* to 512 samples for the FFT;
4. the FFT magnitude (not the power) times VGGish's own mel matrix (64 bands, 125-7500 Hz,
   HTK mel scale, triangles built in the mel domain, DC bin zeroed);
5. ``log(mel + 0.01)``;
6. non-overlapping examples of 96 frames (0.96 s); an incomplete tail is dropped.

``torch.stft(n_fft=512, win_length=400)`` is not used on purpose: it centres the 400-sample
window inside the 512-sample frame, which shifts every frame by 56 samples. torchaudio's
``melscale_fbanks`` is not used either: its triangles are built in Hz, not in mel.
"""
import math
from functools import lru_cache
from typing import Union

import numpy as np
import torch
import torchaudio.functional as AF

__all__ = [
    'VGGISH_SAMPLE_RATE', 'EXAMPLE_FRAMES', 'NUM_MEL_BINS', 'MIN_EXAMPLE_SAMPLES',
    'vggish_mel_matrix', 'log_mel_examples', 'prepare_waveform', 'waveform_to_examples',
    'pad_or_crop_examples'
]

VGGISH_SAMPLE_RATE = 16000
WINDOW_LENGTH = 400  # samples, 25 ms at 16 kHz
HOP_LENGTH = 160  # samples, 10 ms at 16 kHz
FFT_LENGTH = 512  # the smallest power of two >= WINDOW_LENGTH
NUM_MEL_BINS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.01
EXAMPLE_FRAMES = 96  # frames per example (0.96 s), examples do not overlap
# The fewest 16 kHz samples that give one complete example: 400 + 95 * 160 = 15600.
MIN_EXAMPLE_SAMPLES = WINDOW_LENGTH + (EXAMPLE_FRAMES - 1) * HOP_LENGTH

PAD_MODES = ('repeat', 'zeros')


def _hertz_to_mel(hertz: Union[float, torch.Tensor]) -> Union[float, torch.Tensor]:
    """HTK mel scale, ``1127 ln(1 + f / 700)``."""
    if isinstance(hertz, torch.Tensor):
        return 1127.0 * torch.log1p(hertz / 700.0)
    return 1127.0 * math.log1p(hertz / 700.0)


@lru_cache(maxsize=8)
def _mel_matrix_f64(num_mel_bins: int, num_spectrogram_bins: int, sample_rate: int,
                    lower_edge_hertz: float, upper_edge_hertz: float) -> torch.Tensor:
    """The cached float64 CPU matrix behind :func:`vggish_mel_matrix`."""
    nyquist = sample_rate / 2.0
    if lower_edge_hertz < 0.0:
        raise ValueError(f'lower_edge_hertz must be >= 0, got {lower_edge_hertz}')
    if lower_edge_hertz >= upper_edge_hertz:
        raise ValueError(f'lower_edge_hertz ({lower_edge_hertz}) must be below '
                         f'upper_edge_hertz ({upper_edge_hertz})')
    if upper_edge_hertz > nyquist:
        raise ValueError(f'upper_edge_hertz ({upper_edge_hertz}) is above the Nyquist '
                         f'frequency {nyquist} of sample_rate {sample_rate}')
    if num_mel_bins < 1 or num_spectrogram_bins < 2:
        raise ValueError(f'need num_mel_bins >= 1 and num_spectrogram_bins >= 2, got '
                         f'{num_mel_bins} and {num_spectrogram_bins}')
    bins_mel = _hertz_to_mel(
        torch.linspace(0.0, nyquist, num_spectrogram_bins, dtype=torch.float64))  # [F]
    edges = torch.linspace(
        _hertz_to_mel(lower_edge_hertz), _hertz_to_mel(upper_edge_hertz), num_mel_bins + 2,
        dtype=torch.float64)  # [M + 2]: band i spans edges[i] .. edges[i + 2]
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]  # [M] each
    rising = (bins_mel[:, None] - lower) / (center - lower)  # [F, M]
    falling = (upper - bins_mel[:, None]) / (upper - center)  # [F, M]
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)  # [F, M]
    weights[0] = 0.0  # HTK leaves out the DC bin
    return weights


def vggish_mel_matrix(num_mel_bins: int = NUM_MEL_BINS,
                      num_spectrogram_bins: int = FFT_LENGTH // 2 + 1,
                      sample_rate: int = VGGISH_SAMPLE_RATE,
                      lower_edge_hertz: float = MEL_MIN_HZ,
                      upper_edge_hertz: float = MEL_MAX_HZ,
                      dtype: torch.dtype = torch.float64,
                      device: Union[str, torch.device, None] = None) -> torch.Tensor:
    """VGGish's mel matrix, which post-multiplies magnitude spectra.

    Equal to torchvggish's ``mel_features.spectrogram_to_mel_matrix``: HTK mel scale
    ``1127 ln(1 + f / 700)``, ``num_mel_bins`` triangles whose edges are evenly spaced in mel
    between the two edge frequencies and whose slopes are linear in mel, and a zero row for
    the DC bin.

    Args:
        num_mel_bins (int): number of mel bands (columns). Defaults to 64.
        num_spectrogram_bins (int): number of rfft bins (rows), ``fft_length // 2 + 1``.
            Defaults to 257.
        sample_rate (int): sample rate of the analysed audio. Defaults to 16000.
        lower_edge_hertz (float): lower edge of the lowest band. Defaults to 125.
        upper_edge_hertz (float): upper edge of the highest band. Defaults to 7500.
        dtype (torch.dtype): dtype of the result. Defaults to float64.
        device (str | torch.device, optional): device of the result. Defaults to CPU.

    Returns:
        torch.Tensor: ``[num_spectrogram_bins, num_mel_bins]``.
    """
    matrix = _mel_matrix_f64(int(num_mel_bins), int(num_spectrogram_bins), int(sample_rate),
                             float(lower_edge_hertz), float(upper_edge_hertz))
    return matrix.to(dtype=dtype, device=device, copy=True)  # never hand out the cache


@lru_cache(maxsize=None)
def log_mel_range() -> tuple:
    """The values that VGGish log-mels of a waveform in [-1, 1] can take, ``(low, high)``.

    ``low = log(0.01)`` (no energy); ``high = log(W * M + 0.01)``, where ``W`` is the sum of
    the periodic Hann window (the largest STFT magnitude a sample of at most 1 can give) and
    ``M`` the largest column sum of the mel matrix: about ``(-4.605, 7.49)``. Real clips lie
    well inside (full-scale noise or chirps reach about 5.6). A value outside means the
    log-mels were not made from a [-1, 1] waveform this way (e.g. int16 samples not divided by
    32768) or are corrupt.
    """
    window_sum = float(torch.hann_window(WINDOW_LENGTH, periodic=True,
                                         dtype=torch.float64).sum())
    column = float(vggish_mel_matrix(dtype=torch.float64).sum(0).max())
    return math.log(LOG_OFFSET), math.log(window_sum * column + LOG_OFFSET)


def log_mel_examples(wave: torch.Tensor) -> torch.Tensor:
    """VGGish log-mel examples of 16 kHz waveforms, batched over leading dimensions.

    Args:
        wave (torch.Tensor): ``[..., S]`` floating waveform(s) at 16 kHz, on any device.
            Computation happens in ``wave``'s dtype (float16/bfloat16 in float32).

    Returns:
        torch.Tensor: ``[..., n, 1, 96, 64]`` with ``n = frames // 96`` and
        ``frames = 1 + (S - 400) // 160`` (0 when ``S < 400``), in ``wave``'s dtype and device.
    """
    if not isinstance(wave, torch.Tensor):
        raise TypeError(f'log_mel_examples expects a torch.Tensor, got {type(wave).__name__}')
    if not wave.is_floating_point():
        raise TypeError(f'log_mel_examples expects a floating waveform, got {wave.dtype}')
    if wave.dim() < 1:
        raise ValueError('log_mel_examples expects a waveform of shape [..., S], got a scalar')
    out_dtype = wave.dtype
    if wave.dtype in (torch.float16, torch.bfloat16):
        wave = wave.float()
    lead = wave.shape[:-1]
    num_stft_frames = 0
    if wave.shape[-1] >= WINDOW_LENGTH:
        num_stft_frames = 1 + (wave.shape[-1] - WINDOW_LENGTH) // HOP_LENGTH
    num_examples = num_stft_frames // EXAMPLE_FRAMES
    if num_examples == 0:
        return wave.new_zeros((*lead, 0, 1, EXAMPLE_FRAMES, NUM_MEL_BINS), dtype=out_dtype)
    # Only the frames that end up in complete examples are analysed.
    used = WINDOW_LENGTH + (num_examples * EXAMPLE_FRAMES - 1) * HOP_LENGTH
    frames = wave[..., :used].unfold(-1, WINDOW_LENGTH, HOP_LENGTH)  # [..., n*96, 400]
    window = torch.hann_window(
        WINDOW_LENGTH, periodic=True, dtype=wave.dtype, device=wave.device)  # [400]
    spectrum = torch.fft.rfft(frames * window, n=FFT_LENGTH).abs()  # [..., n*96, 257]
    mel_matrix = vggish_mel_matrix(dtype=wave.dtype, device=wave.device)  # [257, 64]
    log_mel = torch.log(spectrum @ mel_matrix + LOG_OFFSET)  # [..., n*96, 64]
    examples = log_mel.reshape(*lead, num_examples, EXAMPLE_FRAMES, NUM_MEL_BINS)
    return examples.unsqueeze(-3).to(out_dtype)  # [..., n, 1, 96, 64]


def prepare_waveform(data: Union[np.ndarray, torch.Tensor],
                     sample_rate: int,
                     target_rate: int = VGGISH_SAMPLE_RATE) -> torch.Tensor:
    """Mono float64 waveform at ``target_rate`` from raw audio samples, as torchvggish does.

    The one mono mix-down (mean over channels, as torchvggish) and resampling
    (``torchaudio.functional.resample``) of the project: the waveform loaders
    (``LoadAudioWaveform``, ``LoadAudioFromNDArray``) and :func:`waveform_to_examples` call it.

    Args:
        data (np.ndarray | torch.Tensor): ``[S]`` mono or ``[S, C]`` (samples, channels)
            audio; floating in [-1, 1], or int16 (scaled by 1/32768 like torchvggish's wav
            reader) or int32 (scaled by 1/2**31).
        sample_rate (int): sample rate of ``data``.
        target_rate (int): sample rate of the result. Defaults to 16000 (VGGish's).

    Returns:
        torch.Tensor: ``[S']`` float64 at ``target_rate``, on ``data``'s device (CPU for
        numpy).
    """
    if isinstance(data, np.ndarray):
        wave = torch.from_numpy(np.ascontiguousarray(data))
    elif isinstance(data, torch.Tensor):
        wave = data.detach()
    else:
        raise TypeError('audio data must be a numpy array or a torch tensor, '
                        f'got {type(data).__name__}')
    if wave.dtype == torch.int16:
        wave = wave.double() / 32768.0
    elif wave.dtype == torch.int32:
        wave = wave.double() / 2147483648.0
    elif wave.is_floating_point():
        wave = wave.double()
    else:
        raise TypeError(f'audio samples must be floating, int16 or int32, got {wave.dtype}')
    if wave.dim() == 2:
        wave = wave.mean(dim=1)  # [S, C] -> [S]
    elif wave.dim() != 1:
        raise ValueError('audio data must have shape [samples] or [samples, channels], '
                         f'got {tuple(wave.shape)}')
    for name, rate in (('sample_rate', sample_rate), ('target_rate', target_rate)):
        if int(rate) != rate or rate <= 0:
            raise ValueError(f'{name} must be a positive integer, got {rate}')
    if sample_rate != target_rate:
        wave = AF.resample(wave, int(sample_rate), int(target_rate))
    return wave


def waveform_to_examples(data: Union[np.ndarray, torch.Tensor],
                         sample_rate: int) -> torch.Tensor:
    """VGGish input examples of one clip, like torchvggish's ``waveform_to_examples``.

    For 16 kHz input the result equals torchvggish's (computed here in float64, returned in
    float32). Other rates are resampled with ``torchaudio.functional.resample``, whereas
    torchvggish uses ``resampy``; the two resamplers differ slightly, so do the features.

    Args:
        data (np.ndarray | torch.Tensor): ``[S]`` or ``[S, C]`` audio, see
            :func:`prepare_waveform`.
        sample_rate (int): sample rate of ``data``.

    Returns:
        torch.Tensor: ``[num_examples, 1, 96, 64]`` float32; ``num_examples`` is 0 for audio
        shorter than 0.975 s (15600 samples at 16 kHz).
    """
    return log_mel_examples(prepare_waveform(data, sample_rate)).float()


def pad_or_crop_examples(examples: torch.Tensor, num: int,
                         mode: str = 'repeat') -> torch.Tensor:
    """Brings a clip's examples to exactly ``num``: longer is cut, shorter is padded.

    Args:
        examples (torch.Tensor): ``[n, 1, 96, 64]`` (any ``[n, ...]`` works).
        num (int): the number of examples wanted (T, the clip's frame count).
        mode (str): ``'repeat'`` repeats the last example (AVSBench v1's official
            log-mels) and ``'zeros'`` appends zeros (AVSBench v2). Defaults to ``'repeat'``.

    Returns:
        torch.Tensor: ``[num, ...]``.
    """
    if mode not in PAD_MODES:
        raise ValueError(f'unknown pad mode {mode!r}; expected one of {PAD_MODES}')
    if num < 1:
        raise ValueError(f'num must be >= 1, got {num}')
    count = examples.shape[0]
    if count >= num:
        return examples[:num]
    if mode == 'repeat':
        if count == 0:
            raise ValueError('cannot pad by repeating the last example: there are no examples')
        pad = examples[-1:].expand(num - count, *examples.shape[1:])  # [num - n, ...]
    else:
        pad = examples.new_zeros((num - count, *examples.shape[1:]))
    return torch.cat([examples, pad], dim=0)  # [num, ...]
