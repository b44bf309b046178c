"""Negative audio: a clip's audio replaced by audio under which nothing on screen sounds.

The test conditions of AVSBench-Robust (Li et al., "Do Audio-Visual Segmentation Models Truly
Segment Sounding Objects?", arXiv 2502.00358): silence (:class:`SilenceAudio`), noise
(:class:`NoiseAudio`) and the sound of another clip whose sounding objects are not on screen
(:class:`OffScreenAudio`). Each empties the clip's ground truth (nothing should be segmented)
and records ``audio_condition`` in the results, which ``PackAVSInputs`` puts into the data
sample, where ``AVSMetric`` / ``AVSSMetric`` read it to report the false positive rate.
:class:`RandomNegativeAudio` applies them to a fraction of training clips (off unless put in a
pipeline).

The noise and the off-screen donor are drawn by the clip's own generator,
``np.random.default_rng([seed, zlib.crc32(clip_key)])`` with ``clip_key =
'{subset}/{split}/{video_name}'`` (:func:`clip_key`), so the negatives do not depend on the
number of processes, workers or the clip order, and differ between clips. They replace the
audio in whichever form the pipeline holds at that point: the log-mels (``audio_log_mel``,
after ``LoadAudioLogMel`` or ``WaveformToLogMel``) and / or the 16 kHz waveform
(``audio_wave``, after ``LoadAudioWaveform``, before ``WaveformToLogMel``).
:func:`insert_negative_audio` puts a transform right after the step that makes the model's
log-mels; :func:`negative_audio_transform` makes a condition's config for a dataset.
"""
import copy
import warnings
import zlib
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform, Compose
from mmseg.registry import DATASETS, TRANSFORMS

from .vggish_frontend import (
    LOG_OFFSET,
    MIN_EXAMPLE_SAMPLES,
    VGGISH_SAMPLE_RATE,
    log_mel_examples,
    pad_or_crop_examples,
)

__all__ = [
    'NEGATIVE_CONDITIONS', 'POSITIVE_CONDITION', 'NOISE_COLORS', 'FALLBACK_RMS', 'SILENT_MEL',
    'LOG_MEL_STEPS', 'AUDIO_STEPS', 'NegativeAudio', 'SilenceAudio', 'NoiseAudio',
    'OffScreenAudio', 'RandomNegativeAudio', 'silence_audio', 'colored_noise', 'clip_key',
    'clip_rng', 'insert_negative_audio', 'negative_audio_transform'
]

#: the negative-audio conditions, in the order of AVSBench-Robust's tables
NEGATIVE_CONDITIONS = ('silence', 'noise', 'off-screen')
#: the condition of a clip with its own audio
POSITIVE_CONDITION = 'positive'
#: noise colours and the exponent ``a`` of their power spectrum ``1 / f^a``
NOISE_COLORS = {'white': 0.0, 'pink': 1.0, 'brown': 2.0}
#: the noise level of a silent clip (no level to be relative to): noise at RMS 0.1 (-20 dBFS)
FALLBACK_RMS = 0.1
#: a clip whose mean mel magnitude is below this is silent (about -140 dBFS; the log-mels of
#: silence, ``log(0.01)`` in float32, give a few 1e-10 of rounding error)
SILENT_MEL = 1e-6
#: pipeline steps that make the model's audio input (the log-mels)
LOG_MEL_STEPS = ('LoadAudioLogMel', 'WaveformToLogMel')
#: pipeline steps that load or transform a clip's audio (the off-screen donor's audio steps)
AUDIO_STEPS = ('LoadAudioLogMel', 'LoadAudioWaveform', 'LoadAudioFromNDArray',
               'WaveformToLogMel')
#: the results keys that hold a clip's audio (replaced by an off-screen donor's)
_AUDIO_KEYS = ('audio_log_mel', 'audio_wave', 'audio_sample_rate')


def clip_key(results: dict, owner: str = 'negative audio') -> str:
    """A clip's identity, which seeds its negative audio: ``'{subset}/{split}/{video_name}'``.

    Args:
        results (dict): The clip's results or data info (``video_name`` needed; a missing
            ``subset`` or ``split`` is an empty part).
        owner (str): Named in the error.

    Returns:
        str: E.g. ``'s4/test/abc_1'``.

    Raises:
        KeyError: no ``video_name``.
    """
    if not results.get('video_name'):
        raise KeyError(f"{owner}: results has no 'video_name'; the negative audio is seeded per "
                       'clip by subset/split/video_name (set by the AVSBench datasets)')
    return f"{results.get('subset') or ''}/{results.get('split') or ''}/{results['video_name']}"


def clip_rng(seed: int, key: str) -> np.random.Generator:
    """The clip's generator: ``np.random.default_rng([seed, zlib.crc32(key)])``.

    Args:
        seed (int): The condition's seed (>= 0).
        key (str): The clip's :func:`clip_key`.

    Returns:
        np.random.Generator: The same for the same seed and clip, in any process.
    """
    return np.random.default_rng([int(seed), zlib.crc32(key.encode('utf-8'))])


def _require_audio(results: dict, owner: str) -> None:
    if 'audio_wave' not in results and 'audio_log_mel' not in results:
        raise KeyError(f'{owner}: results has no audio_log_mel or audio_wave; put {owner} after '
                       'the audio loading in the pipeline (after LoadAudioLogMel, or after '
                       'LoadAudioWaveform / WaveformToLogMel)')


def silence_audio(results: dict, owner: str) -> dict:
    """Replaces the clip's audio by silence, in place: the one silencing rule of
    :class:`SilenceAudio` and ``MuteAudio``.

    A waveform becomes zeros; log-mels become the log-mel of silence, ``log(0 + 0.01)``
    (``LOG_OFFSET``, the VGGish frontend's offset) in every bin, of the same shape, dtype and
    type (tensor or array).

    Args:
        results (dict): With ``audio_wave`` and / or ``audio_log_mel``.
        owner (str): The transform, named in the error.

    Returns:
        dict: ``results``.

    Raises:
        KeyError: neither key is present.
    """
    _require_audio(results, owner)
    if 'audio_wave' in results:
        results['audio_wave'] = np.zeros_like(results['audio_wave'])
    if 'audio_log_mel' in results:
        log_mel = results['audio_log_mel']
        silence = float(np.log(LOG_OFFSET))
        results['audio_log_mel'] = (torch.full_like(log_mel, silence) if isinstance(
            log_mel, torch.Tensor) else np.full_like(log_mel, silence))
    return results


def colored_noise(color: str, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with a ``1 / f^a`` power spectrum, zero mean, RMS 1.

    White noise drawn from ``rng`` is shaped in the frequency domain (amplitude ``f^(-a/2)``,
    the DC bin removed) and brought back; ``a`` is 0 (white), 1 (pink) or 2 (brown).

    Args:
        color (str): ``'white'``, ``'pink'`` or ``'brown'``.
        num_samples (int): The length (>= 2).
        rng (np.random.Generator): The source of the noise.

    Returns:
        np.ndarray: float64 ``[num_samples]``.

    Raises:
        ValueError: an unknown colour or fewer than 2 samples.
    """
    if color not in NOISE_COLORS:
        raise ValueError(f'unknown noise color {color!r}; expected one of {tuple(NOISE_COLORS)}')
    if num_samples < 2:
        raise ValueError(f'noise needs at least 2 samples, got {num_samples}')
    spectrum = np.fft.rfft(rng.standard_normal(num_samples))
    freqs = np.fft.rfftfreq(num_samples)
    spectrum[0] = 0.0
    spectrum[1:] *= freqs[1:]**(-NOISE_COLORS[color] / 2.0)
    noise = np.fft.irfft(spectrum, n=num_samples)
    return noise / np.sqrt(np.mean(noise**2))


def _mel_magnitudes(log_mel: torch.Tensor) -> torch.Tensor:
    """The mel-filterbank magnitudes behind VGGish log-mels: ``exp(x) - 0.01``, >= 0 (float64)."""
    return (log_mel.double().exp() - LOG_OFFSET).clamp_min(0)


def _wave_mel_magnitudes(wave: np.ndarray) -> torch.Tensor:
    """The mel magnitudes ``[n, 1, 96, 64]`` of a 16 kHz waveform's VGGish examples (a wave
    shorter than one example is zero-padded to one, as ``WaveformToLogMel`` does)."""
    wave = torch.from_numpy(np.asarray(wave, dtype=np.float64))
    if wave.shape[0] < MIN_EXAMPLE_SAMPLES:
        wave = torch.nn.functional.pad(wave, (0, MIN_EXAMPLE_SAMPLES - wave.shape[0]))
    return _mel_magnitudes(log_mel_examples(wave))


class NegativeAudio(BaseTransform):
    """The base of the negative-audio conditions.

    Replaces the clip's audio (:meth:`replace_audio`, the subclass's hook), empties its ground
    truth and records the condition. Put it after the audio loading and after
    ``LoadClipMasks`` / ``LoadClipSemanticLabels`` (``PackAVSInputs`` refuses a negative clip
    with a non-empty ``gt_masks``); :func:`insert_negative_audio` does so for a test pipeline.

    Required Keys:

    - audio_log_mel (torch.Tensor | np.ndarray ``[T, 1, 96, 64]``) and / or audio_wave
      (np.float32 ``[S]``, mono 16 kHz); at least one.
    - video_name, subset, split (str): the clip's identity, for its generator (not needed by
      :class:`SilenceAudio`).

    Modified Keys:

    - audio_log_mel / audio_wave: the negative audio, same shape, dtype and type.
    - gt_masks (np.uint8 ``[T, H, W]``, when present): zeros (background) of the same shape
      and dtype.

    Added Keys:

    - audio_condition (str): :attr:`condition` (``'silence'``, ``'noise'``, ``'off-screen'``).

    Args:
        seed (int): The seed (>= 0); each clip's generator is :func:`clip_rng` of it and the
            clip's :func:`clip_key`. Defaults to 0.
    """

    condition = ''

    def __init__(self, seed: int = 0) -> None:
        self.seed = _check_seed(seed, type(self).__name__)

    def transform(self, results: dict) -> dict:
        return self.negate(results, self.seed)

    def negate(self, results: dict, seed: int) -> dict:
        """Replaces the audio with ``seed``'s draw, empties the ground truth, records the
        condition (:class:`RandomNegativeAudio` calls it with a seed of its own).

        Args:
            results (dict): The clip's results; changed in place.
            seed (int): The seed of the clip's generator.

        Returns:
            dict: ``results``.
        """
        _require_audio(results, type(self).__name__)
        self.replace_audio(results, seed)
        if 'gt_masks' in results:
            results['gt_masks'] = np.zeros_like(results['gt_masks'])
        results['audio_condition'] = self.condition
        return results

    def replace_audio(self, results: dict, seed: int) -> None:
        """Replaces ``audio_log_mel`` / ``audio_wave`` in place (the subclass's hook).

        Args:
            results (dict): The clip's results (at least one of the audio keys present).
            seed (int): The seed of the clip's generator.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{type(self).__name__}(seed={self.seed})'


def _check_seed(seed, owner: str) -> int:
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f'{owner}: seed must be a non-negative int, got {seed!r}')
    return int(seed)


@TRANSFORMS.register_module()
class SilenceAudio(NegativeAudio):
    """Negative audio ``'silence'``: waveforms become zeros, log-mels ``log(0.01)``
    everywhere (the log-mel of silence, :func:`silence_audio`); the ground truth is emptied.

    ``MuteAudio`` silences the same way but keeps the ground truth (an ablation). See
    :class:`NegativeAudio` for the keys (silence needs no ``video_name``).

    Args:
        seed (int): Unused (silence is not random); accepted for a uniform interface.
            Defaults to 0.
    """

    condition = 'silence'

    def replace_audio(self, results: dict, seed: int) -> None:
        silence_audio(results, type(self).__name__)


@TRANSFORMS.register_module()
class NoiseAudio(NegativeAudio):
    """Negative audio ``'noise'``: seeded coloured noise at a level relative to the clip's.

    The noise (:func:`colored_noise`: white, pink or brown, drawn by the clip's generator)
    replaces the audio. Its level is measured the way the model hears it, by the mean
    magnitude of the VGGish mel filterbank: the log-mel is ``log(mel + 0.01)`` with ``mel``
    the mel projection of the STFT *magnitude*, linear in the waveform's amplitude. The
    noise's mean mel magnitude is the clip's times ``10^(level_db / 20)``, at both stages:

    - log-mels ``[T, 1, 96, 64]``: the clip's mean mel magnitude is the mean of
      ``exp(log_mel) - 0.01`` (clamped at 0) over its real seconds (seconds the dataset
      padded, ``frame_padded`` True, are left out); ``T`` seconds of 16 kHz noise go through
      the VGGish frontend (``log_mel_examples``, ``pad_or_crop_examples`` to ``T``), are
      scaled in the mel domain and taken back to ``log(mel + 0.01)``;
    - waveform ``[S]``: noise of the clip's length, scaled in amplitude; both mean mel
      magnitudes are those of their VGGish examples (``log_mel_examples``).

    A silent clip (mean mel magnitude 0, below ``SILENT_MEL``) has no level to be relative
    to: its noise is at
    RMS ``FALLBACK_RMS`` (0.1, -20 dBFS) times ``10^(level_db / 20)``, with a warning that
    names the clip.

    See :class:`NegativeAudio` for the keys.

    Args:
        color (str): ``'white'``, ``'pink'`` or ``'brown'`` (power spectrum flat, ``1 / f``,
            ``1 / f^2``). Defaults to ``'white'``.
        level_db (float): The noise's level relative to the clip's, in dB. Defaults to 0
            (as loud as the clip).
        seed (int): The seed. Defaults to 0.
    """

    condition = 'noise'

    def __init__(self, color: str = 'white', level_db: float = 0.0, seed: int = 0) -> None:
        super().__init__(seed)
        if color not in NOISE_COLORS:
            raise ValueError(f'NoiseAudio: unknown color {color!r}; expected one of '
                             f'{tuple(NOISE_COLORS)}')
        if isinstance(level_db, bool) or not isinstance(level_db, (int, float)) or \
                not np.isfinite(level_db):
            raise ValueError(f'NoiseAudio: level_db must be a finite number (dB), got '
                             f'{level_db!r}')
        self.color = color
        self.level_db = float(level_db)

    @staticmethod
    def _reference(mel: torch.Tensor, results: dict) -> float:
        """The clip's mean mel magnitude over its real seconds (``mel``: ``[T, 1, 96, 64]``)."""
        padded = results.get('frame_padded')
        if padded is not None and len(padded) == mel.shape[0] and not all(padded):
            mel = mel[torch.as_tensor([not p for p in padded])]
        return float(mel.mean()) if mel.numel() else 0.0

    def _gain(self, reference: float, noise_mel: float, results: dict) -> float:
        """The amplitude gain of RMS-1 noise of mean mel magnitude ``noise_mel``."""
        gain = 10.0**(self.level_db / 20.0)
        if reference < SILENT_MEL:
            warnings.warn(f'NoiseAudio: the audio of clip {clip_key(results, "NoiseAudio")} is '
                          f'silent (mean mel magnitude {reference:.3g} < {SILENT_MEL}), so '
                          'there is no level to be relative '
                          f'to; its noise is at RMS {FALLBACK_RMS} x 10^({self.level_db} / 20)')
            return FALLBACK_RMS * gain
        return gain * reference / noise_mel

    def replace_audio(self, results: dict, seed: int) -> None:
        rng = clip_rng(seed, clip_key(results, type(self).__name__))
        if 'audio_log_mel' in results:
            log_mel = results['audio_log_mel']
            clip = torch.as_tensor(log_mel)  # [T, 1, 96, 64]
            num = clip.shape[0]
            wave = torch.from_numpy(colored_noise(self.color, num * VGGISH_SAMPLE_RATE, rng))
            noise_mel = _mel_magnitudes(pad_or_crop_examples(log_mel_examples(wave), num))
            gain = self._gain(self._reference(_mel_magnitudes(clip), results),
                              float(noise_mel.mean()), results)
            out = torch.log(gain * noise_mel + LOG_OFFSET).to(clip.dtype)  # [T, 1, 96, 64]
            results['audio_log_mel'] = out if isinstance(log_mel, torch.Tensor) else out.numpy()
        if 'audio_wave' in results:
            wave = np.asarray(results['audio_wave'])  # [S]
            noise = colored_noise(self.color, max(wave.shape[0], 2), rng)[:wave.shape[0]]
            gain = self._gain(float(_wave_mel_magnitudes(wave).mean()),
                              float(_wave_mel_magnitudes(noise).mean()), results)
            results['audio_wave'] = (gain * noise).astype(wave.dtype)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(color='{self.color}', level_db={self.level_db}, "
                f'seed={self.seed})')


class _DonorPool:
    """The clips an :class:`OffScreenAudio` draws donors from, and each clip's donor for the
    transform's seed (computed once).

    Args:
        dataset (BaseDataset): The built pool dataset.
        category_groups (dict): Category -> group (others are their own group).
        seed (int): The seed whose donors are precomputed.
    """

    def __init__(self, dataset, category_groups: Dict[str, str], seed: int) -> None:
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        self.name = (f'{type(dataset).__name__}(data_root={getattr(dataset, "data_root", None)!r}, '
                     f'split={getattr(dataset, "split", None)!r})')
        without = [info.get('video_name') for info in infos
                   if info.get('sounding_categories') is None]
        if without:
            raise ValueError(
                f'OffScreenAudio: {len(without)} of the {len(infos)} clips of the donor pool '
                f'{self.name} have no sounding_categories (e.g. {without[:5]}); the off-screen '
                'audio needs them to pick a clip whose sounding objects are not on screen. '
                f'{_categories_hint(dataset)} {WITHOUT_OFF_SCREEN}')
        self.infos = infos
        self.index: Dict[str, int] = {}
        for i, info in enumerate(infos):
            if info['video_name'] in self.index:
                raise ValueError(f'OffScreenAudio: the donor pool {self.name} holds the video '
                                 f'name {info["video_name"]!r} twice; clips are found by name')
            self.index[info['video_name']] = i
        self.keys = [clip_key(info, 'OffScreenAudio') for info in infos]
        # [clips, groups] membership of each clip's sounding category groups
        self.groups = [frozenset(category_groups.get(c, c) for c in info['sounding_categories'])
                       for info in infos]
        names = sorted(set().union(*self.groups))
        column = {g: j for j, g in enumerate(names)}
        self.member = np.zeros((len(infos), len(names)), dtype=bool)
        for i, group in enumerate(self.groups):
            self.member[i, [column[g] for g in group]] = True
        self.column = column
        self.donors = self._draw_all(seed)

    def _sharing_none(self, group: frozenset) -> np.ndarray:
        """The pool indices (in pool order) of the clips that share no category group with
        ``group``."""
        return np.flatnonzero(~self.member[:, [self.column[g] for g in group]].any(axis=1))

    def candidates(self, i: int) -> np.ndarray:
        """The possible donors of clip ``i``: the other clips that share no category group
        with it, in pool order."""
        found = self._sharing_none(self.groups[i])
        return found[found != i]

    def draw(self, i: int, seed: int, key: str) -> int:
        """Clip ``i``'s donor (a pool index) drawn by :func:`clip_rng` of ``seed`` and ``key``."""
        return self._pick(self.candidates(i), i, seed, key)

    def _pick(self, found: np.ndarray, i: int, seed: int, key: str) -> int:
        if found.size == 0:
            raise ValueError(self._lonely_message([i]))
        return int(found[clip_rng(seed, key).integers(found.size)])

    def _draw_all(self, seed: int) -> Dict[int, int]:
        """Every clip's donor for ``seed`` (candidates computed once per category set)."""
        by_groups: Dict[frozenset, np.ndarray] = {}
        donors, lonely = {}, []
        for i, group in enumerate(self.groups):
            if group not in by_groups:
                by_groups[group] = self._sharing_none(group)
            found = by_groups[group]
            found = found[found != i]
            if found.size == 0:
                lonely.append(i)
            else:
                donors[i] = self._pick(found, i, seed, self.keys[i])
        if lonely:
            raise ValueError(self._lonely_message(lonely))
        return donors

    def _lonely_message(self, lonely: List[int]) -> str:
        shown = [f'{self.infos[i]["video_name"]} (categories '
                 f'{self.infos[i]["sounding_categories"]}, groups {sorted(self.groups[i])})'
                 for i in lonely[:5]]
        more = f' and {len(lonely) - 5} more' if len(lonely) > 5 else ''
        return (f'OffScreenAudio: {len(lonely)} clip(s) of the donor pool {self.name} have no '
                'other clip that shares none of their sounding categories (compared through '
                'category_groups), so no off-screen audio can be chosen for them: '
                f'{"; ".join(shown)}{more}. {WITHOUT_OFF_SCREEN}')


#: How to test negative audio without the off-screen condition (named in its errors).
WITHOUT_OFF_SCREEN = ('To test the other conditions without it: tools/test.py CONFIG CHECKPOINT '
                      "--robustness silence noise (or test_cfg conditions=['silence', 'noise']).")


def _categories_hint(dataset) -> str:
    """Where clips of ``dataset``'s kind get their sounding categories from."""
    kind = type(dataset).__name__
    root = getattr(dataset, 'data_root', None)
    if kind == 'AVSBenchSemanticDataset':
        return (f'AVSBench-semantic clips take them from the a_obj column of {root}/metadata.csv, '
                'which is missing or empty for these clips.')
    if kind == 'AVSBenchMS3Dataset':
        return ("For MS3 give the dataset a category_file (a CSV with columns vid and a_obj, e.g. "
                "AVSBench-semantic's metadata.csv, whose v1m rows are read).")
    if kind == 'AVSBenchS4Dataset':
        return f'S4 clips take them from the category column of the meta CSV under {root}.'
    return ('S4 clips take them from their meta CSV, AVSBench-semantic clips from the a_obj '
            'column of metadata.csv, MS3 clips from a category_file.')


@TRANSFORMS.register_module()
class OffScreenAudio(NegativeAudio):
    """Negative audio ``'off-screen'``: the sound of another clip whose sounding objects are
    not on screen.

    The donor is a clip of the pool ``dataset`` (normally the dataset of the clips
    transformed: the same subset and split) none of whose sounding categories (data info
    ``sounding_categories``, compared through ``category_groups``) is among this clip's. It
    is drawn among all such clips, in pool order, by the clip's generator (:func:`clip_rng`
    of ``seed`` and :func:`clip_key`), so the choice is deterministic by seed and never a clip
    that shares a category. Its audio is loaded by ``audio_pipeline`` from a copy of its data
    info with this clip's ``clip_seconds`` (so ``T`` matches), and the audio keys that
    pipeline gives (``audio_log_mel``, ``audio_wave``, ``audio_sample_rate``) replace this
    clip's (all of this clip's audio keys are removed first).

    The pool is built on first use (a config with ``pipeline=[]``; a built dataset is used as
    is), and the donor of every clip for ``seed`` is computed then, once. Categories: S4
    clips have their CSV category; AVSBench-semantic clips their ``a_obj``; MS3 clips only
    with the dataset's ``category_file``. A pool clip without categories, a clip with no
    possible donor, or a clip that is not in the pool is a ValueError naming it, never a
    silent fallback.

    Required Keys: as :class:`NegativeAudio` (``video_name`` finds the clip in the pool),
    and clip_seconds (int, optional): ``T``, given to the donor's audio pipeline.

    Modified Keys: as :class:`NegativeAudio`; audio_log_mel / audio_wave /
    audio_sample_rate: the donor's (as ``audio_pipeline`` gives them).

    Added Keys: audio_condition (``'off-screen'``); audio_source (str): the donor's
    ``video_name``.

    Args:
        dataset (dict | BaseDataset): The donor pool: a dataset config, e.g.
            ``dict(type='AVSBenchS4Dataset', data_root=..., split='test')`` (built on first
            use with ``pipeline=[]``), or a built dataset.
        audio_pipeline (Sequence[dict | callable]): The steps that load a clip's audio from
            its data info, e.g. ``[dict(type='LoadAudioLogMel', source='pkl')]`` or
            ``[dict(type='LoadAudioWaveform'), dict(type='WaveformToLogMel')]``.
        seed (int): The seed. Defaults to 0.
        category_groups (dict[str, str], optional): Category -> group name; categories are
            compared through it (those not in it are their own group), e.g. AVSBench-Robust's
            coarser rule of avoiding clips of the same broad group (music / human / animal /
            device). Defaults to None (compared by category).
    """

    condition = 'off-screen'

    def __init__(self,
                 dataset: Union[dict, object],
                 audio_pipeline: Sequence[Union[dict, Callable]],
                 seed: int = 0,
                 category_groups: Optional[Dict[str, str]] = None) -> None:
        super().__init__(seed)
        if not audio_pipeline:
            raise ValueError('OffScreenAudio: audio_pipeline is empty; give the steps that load '
                             "a clip's audio from its data info, e.g. "
                             "[dict(type='LoadAudioLogMel', source='pkl')]")
        if category_groups is not None and not isinstance(category_groups, dict):
            raise TypeError('OffScreenAudio: category_groups must be a dict category -> group, '
                            f'got {type(category_groups).__name__}')
        if not (isinstance(dataset, dict) or hasattr(dataset, 'get_data_info')):
            raise TypeError('OffScreenAudio: dataset must be a dataset config dict or a built '
                            f'dataset, got {type(dataset).__name__}')
        self.dataset = copy.deepcopy(dataset) if isinstance(dataset, dict) else dataset
        self.category_groups = dict(category_groups or {})
        self.audio_pipeline = Compose(
            [TRANSFORMS.build(step) if isinstance(step, dict) else step
             for step in audio_pipeline])
        self._pool: Optional[_DonorPool] = None

    @property
    def pool(self) -> _DonorPool:
        """The donor pool, built on first use (the dataset, and every clip's donor)."""
        if self._pool is None:
            dataset = self.dataset
            if isinstance(dataset, dict):
                dataset = DATASETS.build(dict(copy.deepcopy(dataset), pipeline=[]))
            self._pool = _DonorPool(dataset, self.category_groups, self.seed)
        return self._pool

    def donor(self, results: dict, seed: Optional[int] = None) -> dict:
        """The data info (a pool item, not a copy) of the clip's donor for ``seed``.

        Args:
            results (dict): The clip's results (``video_name``, ``subset``, ``split``).
            seed (int, optional): Defaults to the transform's seed (precomputed donors).

        Returns:
            dict: The donor's data info.
        """
        seed = self.seed if seed is None else seed
        pool, key = self.pool, clip_key(results, type(self).__name__)
        i = pool.index.get(results['video_name'])
        if i is None:
            raise ValueError(f'OffScreenAudio: clip {key} is not in the donor pool {pool.name}; '
                             'the pool must be the dataset of the clips transformed (the same '
                             'subset and split)')
        if seed == self.seed and key == pool.keys[i]:
            return pool.infos[pool.donors[i]]
        return pool.infos[pool.draw(i, seed, key)]

    def replace_audio(self, results: dict, seed: int) -> None:
        donor = copy.deepcopy(self.donor(results, seed))
        if 'clip_seconds' in results:
            donor['clip_seconds'] = results['clip_seconds']
        loaded = self.audio_pipeline(donor)
        present = [k for k in ('audio_log_mel', 'audio_wave') if k in results]
        missing = [k for k in present if loaded is None or k not in loaded]
        if missing:
            given = [k for k in ('audio_log_mel', 'audio_wave') if k in (loaded or {})]
            raise ValueError(
                f'OffScreenAudio: clip {results["video_name"]} holds {present} but '
                f'audio_pipeline {[type(t).__name__ for t in self.audio_pipeline.transforms]} '
                f'gives {given} for the donor {donor["video_name"]}; its steps must end at the '
                'stage the clip is at (log-mels: LoadAudioLogMel, or LoadAudioWaveform + '
                'WaveformToLogMel; waveform: LoadAudioWaveform)')
        for key in _AUDIO_KEYS:
            results.pop(key, None)
            if key in loaded:
                results[key] = loaded[key]
        results['audio_source'] = donor['video_name']

    def __repr__(self) -> str:
        dataset = (self.dataset.get('type') if isinstance(self.dataset, dict) else
                   type(self.dataset).__name__)
        return (f'{type(self).__name__}(dataset={dataset}, seed={self.seed}, '
                f'category_groups={self.category_groups or None})')


@TRANSFORMS.register_module()
class RandomNegativeAudio(BaseTransform):
    """Training with negative samples: a fraction of clips get negative audio and an empty
    target (AVSBench-Robust's balanced training); off unless put in a pipeline.

    With probability ``prob`` a clip gets one of ``conditions`` (uniformly); its noise /
    donor is then drawn with a per-clip seed that is itself drawn from the random state
    (:meth:`NegativeAudio.negate`), so a clip gets different negatives across epochs.
    Otherwise the clip keeps its audio and gets ``audio_condition='positive'``. The random
    state is numpy's global one, as mmcv's random transforms use (mmengine seeds it per
    worker), unless ``seed`` is given.

    Put it after the audio loading and the mask loading (as :class:`NegativeAudio`).

    Required Keys: as :class:`NegativeAudio` (the audio; ``video_name``, ``subset``,
    ``split`` for noise and off-screen).

    Modified Keys: as :class:`NegativeAudio` for a negative clip; nothing for a positive.

    Added Keys: audio_condition (str): the condition or ``'positive'``; audio_source (str):
    the off-screen donor.

    Args:
        prob (float): The fraction of clips made negative, in ``[0, 1]``.
        conditions (Sequence[str]): Among ``'silence'``, ``'noise'``, ``'off-screen'``.
            Defaults to ``('silence', 'noise')``.
        noise (dict, optional): :class:`NoiseAudio` arguments (``color``, ``level_db``).
            Defaults to None (white noise at the clip's level).
        off_screen (dict, optional): :class:`OffScreenAudio` arguments (``dataset``: the
            training set, ``audio_pipeline``, ``category_groups``); required with
            ``'off-screen'``.
        seed (int, optional): None uses numpy's global random state (for training). An int
            gives the transform a random state of its own seeded by it (reproducible in one
            process; every dataloader worker would repeat the same draws). Defaults to None.
    """

    def __init__(self,
                 prob: float,
                 conditions: Sequence[str] = ('silence', 'noise'),
                 noise: Optional[dict] = None,
                 off_screen: Optional[dict] = None,
                 seed: Optional[int] = None) -> None:
        owner = type(self).__name__
        if isinstance(prob, bool) or not isinstance(prob, (int, float)) or not 0 <= prob <= 1:
            raise ValueError(f'{owner}: prob must be a number in [0, 1], got {prob!r}')
        conditions = [conditions] if isinstance(conditions, str) else list(conditions)
        unknown = [c for c in conditions if c not in NEGATIVE_CONDITIONS]
        if not conditions or unknown or len(set(conditions)) != len(conditions):
            raise ValueError(f'{owner}: conditions must be distinct names among '
                             f'{NEGATIVE_CONDITIONS}, got {conditions}')
        if 'off-screen' in conditions and not off_screen:
            raise ValueError(f"{owner}: the 'off-screen' condition needs off_screen="
                             'dict(dataset=..., audio_pipeline=[...]) (the training set and '
                             'its audio steps)')
        for name, kwargs in (('noise', noise), ('off_screen', off_screen)):
            if kwargs is not None and not isinstance(kwargs, dict):
                raise TypeError(f'{owner}: {name} must be a dict of arguments, got '
                                f'{type(kwargs).__name__}')
            if kwargs and 'seed' in kwargs:
                raise ValueError(f'{owner}: {name} must not set a seed: each negative clip '
                                 'draws its own')
        self.prob = float(prob)
        self.conditions = conditions
        self.seed = None if seed is None else _check_seed(seed, owner)
        # None: numpy's global state (a module cannot be pickled or deep-copied, so it is not
        # stored)
        self._state = None if seed is None else np.random.RandomState(self.seed)
        self.transforms: Dict[str, NegativeAudio] = {}
        for condition in conditions:
            if condition == 'silence':
                self.transforms[condition] = SilenceAudio()
            elif condition == 'noise':
                self.transforms[condition] = NoiseAudio(**dict(noise or {}))
            else:
                self.transforms[condition] = OffScreenAudio(**dict(off_screen))

    def transform(self, results: dict) -> dict:
        state = np.random if self._state is None else self._state
        if state.rand() >= self.prob:
            results['audio_condition'] = POSITIVE_CONDITION
            return results
        condition = self.conditions[state.randint(len(self.conditions))]
        seed = int(state.randint(2**31 - 1))
        return self.transforms[condition].negate(results, seed)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, conditions={self.conditions}, '
                f'seed={self.seed})')


def insert_negative_audio(pipeline: Sequence[Union[dict, Callable]],
                          transform: dict) -> List[Union[dict, Callable]]:
    """A new pipeline with ``transform`` right after the last step that makes the model's
    audio input (a step of type ``LoadAudioLogMel`` or ``WaveformToLogMel``).

    Args:
        pipeline (Sequence[dict | callable]): Transform configs (built transforms are kept
            but never matched).
        transform (dict): The config to insert, e.g. ``dict(type='SilenceAudio')``.

    Returns:
        list: A new list (the configs are deep copies; ``pipeline`` is unchanged).

    Raises:
        ValueError: no step makes the log-mels.
    """
    steps = [copy.deepcopy(step) for step in pipeline]
    found = [i for i, step in enumerate(steps)
             if isinstance(step, dict) and step.get('type') in LOG_MEL_STEPS]
    if not found:
        types = [step.get('type') if isinstance(step, dict) else type(step).__name__
                 for step in steps]
        raise ValueError(f'cannot insert {transform.get("type")}: the pipeline has no step that '
                         f'makes the model\'s log-mels (one of {LOG_MEL_STEPS}); got {types}')
    steps.insert(found[-1] + 1, copy.deepcopy(transform))
    return steps


def negative_audio_transform(condition: str,
                             dataset_cfg: dict,
                             pipeline: Sequence[dict],
                             seed: int = 0,
                             noise: Optional[dict] = None,
                             category_groups: Optional[dict] = None) -> dict:
    """The config of a condition's transform for the clips of a dataset.

    Args:
        condition (str): ``'silence'``, ``'noise'`` or ``'off-screen'``.
        dataset_cfg (dict): The dataset's config (off-screen: the donor pool, a deep copy
            with ``pipeline=[]``).
        pipeline (Sequence[dict]): The dataset's pipeline (off-screen: its audio steps, those
            of a type in :data:`AUDIO_STEPS`, in order, load the donor's audio).
        seed (int): The seed. Defaults to 0.
        noise (dict, optional): :class:`NoiseAudio` arguments (``color``, ``level_db``).
        category_groups (dict, optional): :class:`OffScreenAudio`'s category groups.

    Returns:
        dict: E.g. ``dict(type='NoiseAudio', seed=0, color='white', level_db=0.0)``.

    Raises:
        ValueError: an unknown condition, ``noise`` with other keys than ``color`` /
            ``level_db``, or (off-screen) a pipeline without audio steps.
    """
    if condition == 'silence':
        return dict(type='SilenceAudio', seed=seed)
    if condition == 'noise':
        noise = dict(noise or {})
        unknown = sorted(set(noise) - {'color', 'level_db'})
        if unknown:
            raise ValueError(f'negative_audio_transform: noise takes color and level_db, got '
                             f'{unknown}')
        return dict(type='NoiseAudio', seed=seed, **noise)
    if condition == 'off-screen':
        audio_steps = [copy.deepcopy(step) for step in pipeline
                       if isinstance(step, dict) and step.get('type') in AUDIO_STEPS]
        if not audio_steps:
            raise ValueError('negative_audio_transform: the pipeline has no audio step (one of '
                             f'{AUDIO_STEPS}) to load the off-screen donor\'s audio')
        pool = copy.deepcopy(dict(dataset_cfg))
        pool['pipeline'] = []
        return dict(type='OffScreenAudio', dataset=pool, audio_pipeline=audio_steps, seed=seed,
                    category_groups=copy.deepcopy(category_groups))
    raise ValueError(f'negative_audio_transform: unknown condition {condition!r}; expected one '
                     f'of {NEGATIVE_CONDITIONS}')
