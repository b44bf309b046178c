"""Negative audio: a clip's audio replaced by audio under which nothing on screen sounds.

The test conditions of AVSBench-Robust (Li et al., "Do Audio-Visual Segmentation Models Truly
Segment Sounding Objects?", arXiv 2502.00358): silence (:class:`SilenceAudio`), noise
(:class:`NoiseAudio`) and the sound of another clip whose sounding objects are not on screen
(:class:`OffScreenAudio`). Each empties the clip's ground truth (nothing should be segmented)
and records ``audio_condition`` in the results, which ``PackAVSInputs`` puts into the data
sample, where ``AVSMetric`` / ``AVSSMetric`` read it to report the false positive rate.
:class:`RandomNegativeAudio` applies them to a fraction of training clips.

Every condition is deterministic by seed and by clip (``subset/split/category/video_name``),
so the negatives do not depend on the number of processes, workers or the clip order. They
replace the audio in whichever form the pipeline holds at that point: the log-mels
(``audio_log_mel``, after ``LoadAudioLogMel`` or ``WaveformToLogMel``) or the 16 kHz waveform
(``audio_wave``, before ``WaveformToLogMel``); :func:`insert_negative_audio` puts a condition
after the step that makes the log-mels.
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
    'NEGATIVE_CONDITIONS', 'POSITIVE_CONDITION', 'NOISE_COLORS', 'NegativeAudio',
    'SilenceAudio', 'NoiseAudio', 'OffScreenAudio', 'RandomNegativeAudio', 'silence_audio',
    'colored_noise', 'clip_key', 'insert_negative_audio', 'negative_audio_transform'
]

#: the negative-audio conditions, in the order of AVSBench-Robust's tables
NEGATIVE_CONDITIONS = ('silence', 'noise', 'off-screen')
#: the condition of a clip with its own audio
POSITIVE_CONDITION = 'positive'
#: noise colours and the exponent ``a`` of their power spectrum ``1 / f^a``
NOISE_COLORS = {'white': 0.0, 'pink': 1.0, 'brown': 2.0}
#: the level of the noise for a silent clip (no level to be relative to): RMS 0.1 (-20 dBFS)
FALLBACK_RMS = 0.1
#: pipeline steps that make the model's log-mel input
LOG_MEL_STEPS = ('LoadAudioLogMel', 'WaveformToLogMel')
#: pipeline steps that load or transform a clip's audio (the off-screen donor's audio steps)
AUDIO_STEPS = ('LoadAudioLogMel', 'LoadAudioWaveform', 'LoadAudioFromNDArray',
               'WaveformToLogMel')
_AUDIO_KEYS = ('audio_log_mel', 'audio_wave', 'audio_sample_rate')


def clip_key(results: dict, owner: str = 'negative audio') -> str:
    """A clip's identity: ``subset/split/category/video_name`` (parts that are set).

    Args:
        results (dict): The clip's results or data info (``video_name`` needed).
        owner (str): Named in the error.

    Returns:
        str: E.g. ``'s4/test/dog_barking/abc_1'``.

    Raises:
        KeyError: no ``video_name``.
    """
    if not results.get('video_name'):
        raise KeyError(f'{owner}: results has no video_name; the negative audio is seeded per '
                       'clip by subset/split/category/video_name (set by the AVSBench datasets)')
    return '/'.join(str(results[k]) for k in ('subset', 'split', 'category', 'video_name')
                    if results.get(k))


def _clip_rng(seed: int, key: str) -> np.random.Generator:
    """The clip's generator: seeded by ``seed`` and the CRC-32 of its key."""
    return np.random.default_rng([int(seed), zlib.crc32(key.encode('utf-8'))])


def silence_audio(results: dict, owner: str) -> dict:
    """Replaces the audio by silence: waveforms become zeros, log-mels the log-mel of silence
    (``log(0 + 0.01)`` in every bin, the VGGish frontend's offset).

    Args:
        results (dict): With ``audio_wave`` and / or ``audio_log_mel``; changed in place.
        owner (str): Named in the error.

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


def _require_audio(results: dict, owner: str) -> None:
    if 'audio_wave' not in results and 'audio_log_mel' not in results:
        raise KeyError(f'{owner}: no audio_wave or audio_log_mel in the results; put it after '
                       'the audio loading transforms (LoadAudioLogMel, or LoadAudioWaveform '
                       'and WaveformToLogMel)')


def colored_noise(color: str, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with a ``1 / f^a`` power spectrum, at RMS 1.

    White noise of ``rng`` is shaped in the frequency domain (amplitude ``f^(-a/2)``, the DC
    bin removed) and brought back; ``a`` is 0 (white), 1 (pink) or 2 (brown).

    Args:
        color (str): ``'white'``, ``'pink'`` or ``'brown'``.
        num_samples (int): The length (>= 2).
        rng (np.random.Generator): The source of the noise.

    Returns:
        np.ndarray: float64 ``[num_samples]``, zero mean, RMS 1.
    """
    if color not in NOISE_COLORS:
        raise ValueError(f'unknown noise colour {color!r}; expected one of {tuple(NOISE_COLORS)}')
    if num_samples < 2:
        raise ValueError(f'noise needs at least 2 samples, got {num_samples}')
    white = rng.standard_normal(num_samples)
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(num_samples)
    spectrum[0] = 0.0
    spectrum[1:] *= freqs[1:]**(-NOISE_COLORS[color] / 2.0)
    noise = np.fft.irfft(spectrum, n=num_samples)
    return noise / np.sqrt(np.mean(noise**2))


def _mel_magnitudes(log_mel: torch.Tensor) -> torch.Tensor:
    """The mel-filterbank magnitudes behind VGGish log-mels: ``exp(x) - 0.01``, >= 0."""
    return (log_mel.double().exp() - LOG_OFFSET).clamp_min(0)


def _empty_ground_truth(results: dict) -> None:
    if 'gt_masks' in results:
        results['gt_masks'] = np.zeros_like(results['gt_masks'])


class NegativeAudio(BaseTransform):
    """The base of the negative-audio conditions.

    Replaces the clip's audio (:meth:`replace_audio` of the subclass), empties its ground
    truth and records the condition.

    Required Keys:

    - audio_log_mel (torch.Tensor | np.ndarray ``[T, 1, 96, 64]``) and / or audio_wave
      (np.float32 ``[S]``, mono 16 kHz).
    - video_name, subset, split, category (the clip's identity, for the seed).

    Modified Keys:

    - audio_log_mel / audio_wave: the negative audio, same shape and type.
    - gt_masks (np.uint8 ``[T, H, W]``, when present): all zeros (background).

    Added Keys:

    - audio_condition (str): the condition (``'silence'``, ``'noise'``, ``'off-screen'``).

    Args:
        seed (int): The seed; each clip's generator is seeded by it and the clip's key.
            Defaults to 0.
    """

    condition = ''

    def __init__(self, seed: int = 0) -> None:
        if int(seed) != seed:
            raise ValueError(f'{type(self).__name__}: seed must be an int, got {seed!r}')
        self.seed = int(seed)

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        _require_audio(results, owner)
        rng = _clip_rng(self.seed, clip_key(results, owner))
        return self.apply(results, rng)

    def apply(self, results: dict, rng: np.random.Generator) -> dict:
        """Replaces the audio with ``rng``, empties the ground truth, records the condition.

        Args:
            results (dict): The clip's results; changed in place.
            rng (np.random.Generator): The clip's generator.

        Returns:
            dict: ``results``.
        """
        _require_audio(results, type(self).__name__)
        self.replace_audio(results, rng)
        _empty_ground_truth(results)
        results['audio_condition'] = self.condition
        return results

    def replace_audio(self, results: dict, rng: np.random.Generator) -> None:
        """Replaces ``audio_log_mel`` / ``audio_wave`` in place (subclasses)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{type(self).__name__}(seed={self.seed})'


@TRANSFORMS.register_module()
class SilenceAudio(NegativeAudio):
    """Negative audio: silence (waveform zeros; log-mels ``log(0.01)``), empty ground truth.

    See :class:`NegativeAudio` for the keys. Silence needs no randomness; ``seed`` is
    accepted for a uniform interface.
    """

    condition = 'silence'

    def replace_audio(self, results: dict, rng: np.random.Generator) -> None:
        silence_audio(results, type(self).__name__)


@TRANSFORMS.register_module()
class NoiseAudio(NegativeAudio):
    """Negative audio: seeded coloured noise at a level relative to the clip's own audio.

    The noise (:func:`colored_noise`, white / pink / brown) replaces the audio. Its level is
    measured the way the model hears it, by the mean magnitude of the VGGish mel filterbank
    (the log-mel is ``log(mel + 0.01)`` with ``mel`` the mel projection of the STFT
    magnitude, linear in the waveform's amplitude): the noise's mean mel magnitude is the
    clip's times ``10^(level_db / 20)``. The same rule holds at both stages: on log-mels
    (``T`` seconds of noise analysed by the VGGish frontend and scaled in the mel domain) and
    on a waveform (noise of the clip's length, scaled in amplitude). Seconds that the dataset
    padded (``frame_padded``) are left out of the clip's level. A silent clip has no level to
    be relative to: its noise is at RMS ``FALLBACK_RMS`` (0.1) times the gain, with a warning.

    See :class:`NegativeAudio` for the keys.

    Args:
        color (str): ``'white'``, ``'pink'`` or ``'brown'`` (power ``1 / f^0``, ``1 / f``,
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
        if not np.isfinite(level_db):
            raise ValueError(f'NoiseAudio: level_db must be finite, got {level_db!r}')
        self.color = color
        self.level_db = float(level_db)

    def _reference(self, mel: torch.Tensor, results: dict) -> float:
        """The clip's mean mel magnitude over its real seconds (``mel``: ``[n, 1, 96, 64]``)."""
        padded = results.get('frame_padded')
        if padded is not None and len(padded) == mel.shape[0] and not all(padded):
            mel = mel[torch.as_tensor([not p for p in padded])]
        return float(mel.mean()) if mel.numel() else 0.0

    def _scale(self, reference: float, noise_mel: float, results: dict) -> float:
        """The gain that brings noise of mean mel magnitude ``noise_mel`` to the clip's level."""
        gain = 10.0**(self.level_db / 20.0)
        if reference <= 0:
            warnings.warn(f'NoiseAudio: the audio of {clip_key(results)} is silent, so there is '
                          'no level to be relative to; its noise is at RMS '
                          f'{FALLBACK_RMS} x 10^({self.level_db} / 20)')
            return FALLBACK_RMS * gain
        return gain * reference / noise_mel

    def replace_audio(self, results: dict, rng: np.random.Generator) -> None:
        if 'audio_log_mel' in results:
            log_mel = results['audio_log_mel']
            as_tensor = torch.as_tensor(log_mel)  # [T, 1, 96, 64]
            num = as_tensor.shape[0]
            wave = torch.from_numpy(colored_noise(self.color, num * VGGISH_SAMPLE_RATE, rng))
            examples = pad_or_crop_examples(log_mel_examples(wave), num)  # [T, 1, 96, 64]
            noise_mel = _mel_magnitudes(examples)
            scale = self._scale(self._reference(_mel_magnitudes(as_tensor), results),
                                float(noise_mel.mean()), results)
            out = torch.log(scale * noise_mel + LOG_OFFSET).to(as_tensor.dtype)
            results['audio_log_mel'] = out if isinstance(log_mel, torch.Tensor) else out.numpy()
        if 'audio_wave' in results:
            wave = np.asarray(results['audio_wave'])
            noise = colored_noise(self.color, max(wave.shape[0], 2), rng)[:wave.shape[0]]
            clip = torch.from_numpy(wave.astype(np.float64))
            if clip.shape[0] < MIN_EXAMPLE_SAMPLES:  # measure short clips on one example
                clip = torch.nn.functional.pad(clip, (0, MIN_EXAMPLE_SAMPLES - clip.shape[0]))
            measured = torch.from_numpy(noise)
            if measured.shape[0] < MIN_EXAMPLE_SAMPLES:
                measured = torch.nn.functional.pad(measured,
                                                   (0, MIN_EXAMPLE_SAMPLES - noise.shape[0]))
            reference = float(_mel_magnitudes(log_mel_examples(clip)).mean())
            noise_mel = float(_mel_magnitudes(log_mel_examples(measured)).mean())
            scale = self._scale(reference, noise_mel, results)
            results['audio_wave'] = (scale * noise).astype(wave.dtype)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(color='{self.color}', level_db={self.level_db}, "
                f'seed={self.seed})')


@TRANSFORMS.register_module()
class OffScreenAudio(NegativeAudio):
    """Negative audio: the sound of another clip whose sounding objects are not on screen.

    The donor is a clip of ``dataset`` (the same subset and split) none of whose sounding
    categories (data info ``sounding_categories``, compared through ``category_groups``) is
    among this clip's; it is drawn, among all such clips in dataset order, by the clip's
    generator (``seed`` and the clip's key), so the choice is deterministic and never a clip
    that shares a category. Its audio is loaded by ``audio_pipeline`` from its data info, for
    this clip's number of seconds, and replaces this clip's.

    Categories: S4 clips have their CSV category; AVSBench-semantic clips their
    ``metadata.csv`` ``a_obj``; MS3 clips only with the dataset's ``category_file``. A pool
    clip without categories, a clip with no possible donor, or a clip that is not in the
    pool is an error (naming it), never a silent fallback.

    See :class:`NegativeAudio` for the keys; adds ``audio_source`` (str), the donor's
    ``video_name``.

    Args:
        dataset (dict | BaseDataset): The donor pool: a dataset config (built once, with
            ``pipeline=[]``) or a built dataset.
        audio_pipeline (Sequence[dict | callable]): The steps that load a clip's audio from
            its data info, e.g. ``[dict(type='LoadAudioLogMel', source='pkl')]``.
        seed (int): The seed. Defaults to 0.
        category_groups (dict, optional): Category -> group; categories are compared by
            group (those not in it are their own group), e.g. AVSBench-Robust's music /
            human / animal / device. Defaults to None (by category).
    """

    condition = 'off-screen'

    def __init__(self,
                 dataset: Union[dict, object],
                 audio_pipeline: Sequence[Union[dict, Callable]],
                 seed: int = 0,
                 category_groups: Optional[Dict[str, str]] = None) -> None:
        super().__init__(seed)
        if not audio_pipeline:
            raise ValueError('OffScreenAudio: audio_pipeline is empty; give the steps that '
                             'load a clip\'s audio, e.g. [dict(type="LoadAudioLogMel")]')
        self.category_groups = dict(category_groups or {})
        self.audio_pipeline = Compose(list(audio_pipeline))
        self._build_pool(dataset)

    def _build_pool(self, dataset) -> None:
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dict(copy.deepcopy(dataset), pipeline=[]))
        name = type(dataset).__name__
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        missing = [info.get('video_name') for info in infos
                   if info.get('sounding_categories') is None]
        if missing:
            raise ValueError(
                f'OffScreenAudio: {len(missing)} of the {len(infos)} clips of the donor pool '
                f'({name}, {getattr(dataset, "data_root", "")}) have no sounding categories '
                f'(e.g. {missing[:3]}); off-screen audio needs them to pick a clip whose '
                'objects are not on screen. S4 and AVSBench-semantic have them; for MS3 give '
                'the dataset category_file (AVSBench-semantic\'s metadata.csv, v1m rows)')
        keys = [clip_key(info, 'OffScreenAudio') for info in infos]
        index = {key: i for i, key in enumerate(keys)}
        if len(index) != len(keys):
            raise ValueError(f'OffScreenAudio: the donor pool ({name}) holds a clip twice')
        groups = [frozenset(self.category_groups.get(c, c) for c in info['sounding_categories'])
                  for info in infos]
        names = sorted(set().union(*groups)) if groups else []
        column = {g: j for j, g in enumerate(names)}
        member = np.zeros((len(infos), len(names)), bool)  # [clips, groups]
        for i, group in enumerate(groups):
            member[i, [column[g] for g in group]] = True
        candidates: Dict[frozenset, np.ndarray] = {}
        for group in set(groups):
            cols = [column[g] for g in group]
            candidates[group] = np.flatnonzero(~member[:, cols].any(1))
        lonely = []
        self._candidates: Dict[str, np.ndarray] = {}
        for i, (key, group) in enumerate(zip(keys, groups)):
            found = candidates[group]
            found = found[found != i]
            if found.size == 0:
                lonely.append(f'{infos[i].get("video_name")} ({sorted(group)})')
            self._candidates[key] = found
        if lonely:
            raise ValueError(
                f'OffScreenAudio: {len(lonely)} clip(s) of the donor pool ({name}) have no '
                'other clip without one of their sounding categories (or category groups), so '
                f'no off-screen audio can be chosen for them: {lonely[:5]}')
        self._infos = infos
        self._pool_name = f'{name} ({getattr(dataset, "data_root", "")})'

    def donor(self, results: dict, rng: np.random.Generator) -> dict:
        """The data info of the donor of the clip in ``results``, drawn with ``rng``."""
        key = clip_key(results, 'OffScreenAudio')
        if key not in self._candidates:
            raise ValueError(f'OffScreenAudio: clip {key} is not in the donor pool '
                             f'{self._pool_name}; the pool must be the dataset of the clips '
                             'transformed (the same subset and split)')
        found = self._candidates[key]
        return self._infos[int(found[rng.integers(found.size)])]

    def replace_audio(self, results: dict, rng: np.random.Generator) -> None:
        donor = copy.deepcopy(self.donor(results, rng))
        if 'clip_seconds' in results:
            donor['clip_seconds'] = results['clip_seconds']
        loaded = self.audio_pipeline(donor)
        if loaded is None or not any(k in loaded for k in _AUDIO_KEYS):
            raise ValueError('OffScreenAudio: audio_pipeline gave no audio_log_mel or '
                             f'audio_wave for the donor {donor.get("video_name")}')
        for key in _AUDIO_KEYS:
            results.pop(key, None)
            if key in loaded:
                results[key] = loaded[key]
        results['audio_source'] = donor.get('video_name')

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(pool={self._pool_name}, seed={self.seed}, '
                f'category_groups={self.category_groups or None})')


@TRANSFORMS.register_module()
class RandomNegativeAudio(BaseTransform):
    """Training with negative samples: a fraction of clips get negative audio and an empty
    target (AVSBench-Robust's balanced training); off unless put in a pipeline.

    With probability ``prob`` a clip gets one of ``conditions`` (uniformly), with a noise /
    donor drawn anew each time (so a clip gets different negatives across epochs); otherwise
    it keeps its audio and gets ``audio_condition='positive'``. The decisions use numpy's
    global random state, as mmcv's random transforms do (mmengine seeds it per worker).

    Required / Modified / Added Keys: as :class:`NegativeAudio` when applied; else only
    ``audio_condition``.

    Args:
        prob (float): The fraction of clips made negative, in ``[0, 1]``.
        conditions (Sequence[str]): Among ``'silence'``, ``'noise'``, ``'off-screen'``.
            Defaults to silence and noise.
        noise (dict, optional): :class:`NoiseAudio` arguments (``color``, ``level_db``).
        off_screen (dict, optional): :class:`OffScreenAudio` arguments (``dataset``: the
            training set, ``audio_pipeline``, ``category_groups``); required with
            ``'off-screen'``.
    """

    def __init__(self,
                 prob: float,
                 conditions: Sequence[str] = ('silence', 'noise'),
                 noise: Optional[dict] = None,
                 off_screen: Optional[dict] = None) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomNegativeAudio: prob must be in [0, 1], got {prob!r}')
        conditions = [conditions] if isinstance(conditions, str) else list(conditions)
        unknown = [c for c in conditions if c not in NEGATIVE_CONDITIONS]
        if not conditions or unknown:
            raise ValueError(f'RandomNegativeAudio: conditions must be among '
                             f'{NEGATIVE_CONDITIONS}, got {conditions}')
        if 'off-screen' in conditions and not off_screen:
            raise ValueError('RandomNegativeAudio: the off-screen condition needs off_screen='
                             'dict(dataset=..., audio_pipeline=[...]) (the training set and '
                             'its audio steps)')
        self.prob = float(prob)
        self.conditions = conditions
        self.transforms: Dict[str, NegativeAudio] = {}
        for condition in conditions:
            if condition == 'silence':
                self.transforms[condition] = SilenceAudio()
            elif condition == 'noise':
                self.transforms[condition] = NoiseAudio(**dict(noise or {}))
            else:
                self.transforms[condition] = OffScreenAudio(**dict(off_screen))

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            results['audio_condition'] = POSITIVE_CONDITION
            return results
        condition = self.conditions[np.random.randint(len(self.conditions))]
        rng = np.random.default_rng(np.random.randint(2**31))
        return self.transforms[condition].apply(results, rng)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, conditions={self.conditions})'


def insert_negative_audio(pipeline: Sequence[dict], transform: dict) -> List[dict]:
    """A copy of ``pipeline`` with ``transform`` right after its last log-mel step.

    Args:
        pipeline (Sequence[dict]): Transform configs.
        transform (dict): The config to insert (e.g. ``dict(type='SilenceAudio')``).

    Returns:
        list[dict]: The new pipeline (the configs are deep copies).

    Raises:
        ValueError: no step makes log-mels (``LoadAudioLogMel`` or ``WaveformToLogMel``).
    """
    steps = [copy.deepcopy(step) for step in pipeline]
    found = [i for i, step in enumerate(steps) if step.get('type') in LOG_MEL_STEPS]
    if not found:
        raise ValueError(f'the pipeline makes no log-mels (expected one of {LOG_MEL_STEPS}); '
                         f'got {[step.get("type") for step in steps]}')
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
        dataset_cfg (dict): The dataset's config (off-screen: the donor pool, built with
            ``pipeline=[]``).
        pipeline (Sequence[dict]): The dataset's pipeline (off-screen: its audio steps load
            the donor's audio).
        seed (int): The seed. Defaults to 0.
        noise (dict, optional): ``NoiseAudio`` arguments (``color``, ``level_db``).
        category_groups (dict, optional): ``OffScreenAudio``'s category groups.

    Returns:
        dict: The transform's config.
    """
    if condition == 'silence':
        return dict(type='SilenceAudio', seed=seed)
    if condition == 'noise':
        return dict(type='NoiseAudio', seed=seed, **dict(noise or {}))
    if condition == 'off-screen':
        pool = copy.deepcopy(dict(dataset_cfg))
        pool['pipeline'] = []
        audio_steps = [copy.deepcopy(s) for s in pipeline if s.get('type') in AUDIO_STEPS]
        return dict(type='OffScreenAudio', dataset=pool, audio_pipeline=audio_steps, seed=seed,
                    category_groups=category_groups)
    raise ValueError(f'unknown negative-audio condition {condition!r}; expected one of '
                     f'{NEGATIVE_CONDITIONS}')
