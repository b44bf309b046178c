"""Negative-audio robustness scores (AVSBench-Robust): the false positive rate and the
global scores that combine it with the ordinary ones.

Li, Zhao, Huang, Guo and Tian, "Do Audio-Visual Segmentation Models Truly Segment Sounding
Objects?" (arXiv 2502.00358, 2025) test a model with audio that should make it segment
nothing (silence, noise, the sound of another clip whose objects are off screen):

- **FPR** of a negative condition: the mean over the evaluated frames of the fraction of
  the frame's pixels predicted sounding. This is the authors' ``calculate_FPR``
  (``training_evaluation/.../scripts/s4/test.py`` of github.com/jiali-home/AVSBench-Robust:
  ``sigmoid(logit) > 0.5`` summed over ``H x W`` pixels, averaged over frames); a foreground
  probability ``> 0.5`` is the same test. For the semantic task a pixel counts when its
  predicted class is not background.
- **G-FPR**: the mean of the FPRs of the negative conditions evaluated (silence, noise,
  off-screen: one value per condition, equally weighted).
- **G-mJ / G-mF** (the paper's G-mIoU / G-F; ``G-mIoU`` for the semantic task): the
  harmonic mean of the positive score (mJ or mF on the true audio) and ``1 - G-FPR``, so
  that a model only scores high when it both segments the sounding objects with the true
  audio and segments nothing without it.

The authors computed the G-scores by hand from exported results (their README says so); no
code of theirs defines them, so this module is the one place where they are computed, and
every number is a fraction in ``[0, 1]`` (the paper prints percentages).
"""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import print_log
from prettytable import PrettyTable

__all__ = [
    'POSITIVE', 'fpr_key', 'frame_foreground_fractions', 'harmonic_mean', 'robustness_scores',
    'robustness_table', 'clip_condition', 'split_by_condition', 'fpr_metrics',
    'add_robustness_scores', 'combine_passes', 'add_negative_metrics'
]

#: the condition of a clip with its own audio (data samples without ``audio_condition``)
POSITIVE = 'positive'


def clip_condition(data_sample: Mapping) -> str:
    """The audio condition of an evaluated data sample (``'positive'`` when unset).

    Args:
        data_sample (Mapping): ``AVSDataSample.to_dict()`` (its meta key ``audio_condition``
            is set by the negative-audio transforms).

    Returns:
        str: ``'positive'``, ``'silence'``, ``'noise'``, ``'off-screen'`` or another name a
        negative transform gave.
    """
    return str(data_sample.get('audio_condition') or POSITIVE)


def fpr_key(condition: str) -> str:
    """The metric name of a condition's false positive rate: ``'FPR/{condition}'``."""
    return f'FPR/{condition}'


def frame_foreground_fractions(foreground: torch.Tensor) -> np.ndarray:
    """Per frame, the fraction of pixels predicted sounding.

    Args:
        foreground (torch.Tensor): ``[n, H, W]`` bool, the pixels predicted sounding.

    Returns:
        np.ndarray: float64 ``[n]`` in ``[0, 1]`` (empty for ``n = 0``).
    """
    if foreground.dim() != 3:
        raise ValueError(f'expected [n, H, W] foreground maps, got {tuple(foreground.shape)}')
    if foreground.shape[0] == 0:
        return np.zeros(0, np.float64)
    pixels = foreground.shape[1] * foreground.shape[2]
    counts = foreground.flatten(1).sum(1, dtype=torch.float64)  # [n]
    return (counts / max(pixels, 1)).cpu().numpy()


def split_by_condition(clips: Sequence[Mapping]) -> tuple:
    """Separates per-clip metric results by their ``condition`` (absent: positive).

    Args:
        clips (Sequence[Mapping]): A metric's per-clip results, in evaluation order.

    Returns:
        tuple[list, dict[str, list]]: the positive clips, and the clips of each negative
        condition (conditions in the order silence, noise, off-screen, then any other in
        alphabetical order; clips in their given order).
    """
    positives, negatives = [], {}
    for clip in clips:
        condition = clip.get('condition', POSITIVE)
        if condition == POSITIVE:
            positives.append(clip)
        else:
            negatives.setdefault(condition, []).append(clip)
    known = ('silence', 'noise', 'off-screen')
    order = sorted(negatives, key=lambda c: (known.index(c) if c in known else len(known), c))
    return positives, {c: negatives[c] for c in order}


def fpr_metrics(negatives: Mapping[str, Sequence[Mapping]],
                subsets: Sequence[str] = ()) -> Dict[str, float]:
    """The FPR of each negative condition from per-clip ``fpr`` arrays.

    Args:
        negatives (Mapping[str, Sequence[Mapping]]): Per condition, the clips' results, each
            with ``fpr`` (``[n]`` fractions of its evaluated frames) and ``subset``.
        subsets (Sequence[str]): With more than one, also ``{subset}/FPR/{condition}``.

    Returns:
        dict[str, float]: ``FPR/{condition}`` (the mean over all evaluated frames of the
        condition, 0 when it has none) and the per-subset values.
    """
    metrics = {}
    for condition, clips in negatives.items():
        metrics[fpr_key(condition)] = _mean_fpr(clips)
        if len(subsets) > 1:
            for subset in subsets:
                members = [c for c in clips if str(c.get('subset')) == subset]
                if members:
                    metrics[f'{subset}/{fpr_key(condition)}'] = _mean_fpr(members)
    return metrics


def _mean_fpr(clips: Sequence[Mapping]) -> float:
    values = [np.asarray(c['fpr'], np.float64) for c in clips]
    values = np.concatenate(values) if values else np.zeros(0)
    return float(values.mean()) if values.size else 0.0


def add_robustness_scores(metrics: Dict[str, float], conditions: Sequence[str],
                          score_keys: Sequence[str],
                          subsets: Sequence[str] = ()) -> Dict[str, float]:
    """Adds G-FPR and the G-scores to merged metrics, overall and per subset.

    Args:
        metrics (dict[str, float]): The positive scores (``mJ`` ...) and ``FPR/{condition}``
            of each condition (and their ``{subset}/`` versions with several subsets); changed
            in place.
        conditions (Sequence[str]): The negative conditions evaluated.
        score_keys (Sequence[str]): The positive scores to combine.
        subsets (Sequence[str]): With more than one, the per-subset scores too (where the
            subset has every value).

    Returns:
        dict[str, float]: ``metrics``.
    """
    metrics.update(robustness_scores(metrics, {c: metrics[fpr_key(c)] for c in conditions},
                                     score_keys))
    if len(subsets) > 1:
        for subset in subsets:
            prefix = f'{subset}/'
            fprs = {c: metrics[prefix + fpr_key(c)] for c in conditions
                    if prefix + fpr_key(c) in metrics}
            if len(fprs) == len(conditions) and all(prefix + k in metrics
                                                    for k in score_keys):
                metrics.update(robustness_scores(metrics, fprs, score_keys, prefix))
    return metrics


def combine_passes(metrics: Dict[str, float],
                   conditions: Sequence[str]) -> Tuple[Tuple[str, ...], List[str]]:
    """Adds G-FPR and the G-scores to the merged metrics of a positive pass and one pass per
    negative condition (``AVSMetric``'s mJ / mF or ``AVSSMetric``'s mIoU / mF, found by
    name), overall and per subset.

    Args:
        metrics (dict[str, float]): The passes' metrics merged; changed in place.
        conditions (Sequence[str]): The negative conditions evaluated.

    Returns:
        tuple[tuple[str, ...], list[str]]: The positive score keys and the subsets with
        their own scores (``{subset}/mJ`` ...; empty for one subset).
    """
    score_keys = ('mIoU', 'mF') if 'mIoU' in metrics else ('mJ', 'mF')
    suffix = '/' + score_keys[0]
    subsets = sorted(k[:-len(suffix)] for k in metrics
                     if k.endswith(suffix) and k.count('/') == 1)
    add_robustness_scores(metrics, conditions, score_keys, subsets)
    return score_keys, subsets


def add_negative_metrics(metrics: Dict[str, float], positives: Sequence[Mapping],
                         negatives: Mapping[str, Sequence[Mapping]],
                         score_keys: Sequence[str]) -> Dict[str, float]:
    """The negative-audio part of a metric's results (``AVSMetric``, ``AVSSMetric``).

    Adds ``FPR/{condition}`` of each condition (and per subset with several), and with
    positive clips as well the G-scores; logs a table when there are negative clips.

    Args:
        metrics (dict[str, float]): The positive scores (empty without positive clips);
            changed in place.
        positives (Sequence[Mapping]): The positive clips' results (``subset``).
        negatives (Mapping[str, Sequence[Mapping]]): Per condition, the clips' results
            (``fpr``, ``subset``), as :func:`split_by_condition` gives them.
        score_keys (Sequence[str]): The positive scores (``('mJ', 'mF')`` or
            ``('mIoU', 'mF')``).

    Returns:
        dict[str, float]: ``metrics``.
    """
    if not negatives:
        return metrics
    subsets = sorted({str(c.get('subset')) for group in negatives.values() for c in group} |
                     {str(c.get('subset')) for c in positives})
    metrics.update(fpr_metrics(negatives, subsets))
    if positives:
        add_robustness_scores(metrics, list(negatives), score_keys, subsets)
    table = robustness_table(metrics, list(negatives), score_keys if positives else (),
                             subsets if len(subsets) > 1 else None)
    print_log('negative audio (false positive rates):\n' + table.get_string(),
              logger='current')
    return metrics


def harmonic_mean(a: float, b: float) -> float:
    """``2ab / (a + b)``; 0 when both are 0.

    Args:
        a (float): A score in ``[0, 1]``.
        b (float): A score in ``[0, 1]``.

    Returns:
        float: Their harmonic mean.
    """
    return 0.0 if a + b <= 0 else 2.0 * a * b / (a + b)


def robustness_scores(positive: Mapping[str, float],
                      fprs: Mapping[str, float],
                      score_keys: Sequence[str] = ('mJ', 'mF'),
                      prefix: str = '') -> Dict[str, float]:
    """G-FPR and the G-scores of the positive scores.

    Args:
        positive (Mapping[str, float]): The scores on the true audio, e.g. ``mJ`` and ``mF``
            (``{prefix}mJ`` ... when ``prefix`` is given).
        fprs (Mapping[str, float]): The FPR of each negative condition (at least one).
        score_keys (Sequence[str]): The positive scores to combine. Defaults to
            ``('mJ', 'mF')`` (the semantic task: ``('mIoU', 'mF')``).
        prefix (str): A prefix of the keys read and written (``'s4/'`` for a subset's).
            Defaults to ``''``.

    Returns:
        dict[str, float]: ``{prefix}G-FPR`` and ``{prefix}G-{key}`` per score key.

    Raises:
        ValueError: no FPR is given, or a positive score is missing.
    """
    if not fprs:
        raise ValueError('robustness_scores needs the FPR of at least one negative condition')
    missing = [prefix + k for k in score_keys if prefix + k not in positive]
    if missing:
        raise ValueError(f'robustness_scores: the positive scores lack {missing}; got '
                         f'{sorted(positive)}')
    g_fpr = float(np.mean([float(v) for v in fprs.values()]))
    scores = {f'{prefix}G-FPR': g_fpr}
    for k in score_keys:
        scores[f'{prefix}G-{k}'] = harmonic_mean(float(positive[prefix + k]), 1.0 - g_fpr)
    return scores


def robustness_table(metrics: Mapping[str, float],
                     conditions: Sequence[str],
                     score_keys: Sequence[str] = ('mJ', 'mF'),
                     subsets: Optional[Sequence[str]] = None) -> PrettyTable:
    """One table of a robustness evaluation: a row per subset (or one row ``all``).

    Columns: the positive scores, the FPR of each condition, G-FPR and the G-scores (blank
    where a value is absent).

    Args:
        metrics (Mapping[str, float]): The merged metrics (``mJ``, ``FPR/silence``,
            ``G-mJ`` ..., and ``{subset}/...`` for several subsets).
        conditions (Sequence[str]): The negative conditions, in column order.
        score_keys (Sequence[str]): The positive scores. Defaults to ``('mJ', 'mF')``.
        subsets (Sequence[str], optional): Add a row per subset (``{subset}/`` keys).

    Returns:
        PrettyTable: The table.
    """
    table = PrettyTable()
    table.field_names = (['Subset'] + list(score_keys) +
                         [f'FPR {c}' for c in conditions] + ['G-FPR'] +
                         [f'G-{k}' for k in score_keys])
    table.align['Subset'] = 'l'
    prefixes = [(s, f'{s}/') for s in subsets or ()] + [('all', '')]
    for label, prefix in prefixes:
        keys = ([prefix + k for k in score_keys] + [prefix + fpr_key(c) for c in conditions] +
                [prefix + 'G-FPR'] + [f'{prefix}G-{k}' for k in score_keys])
        table.add_row([label] + [f'{metrics[k]:.4f}' if k in metrics else '' for k in keys])
    return table
