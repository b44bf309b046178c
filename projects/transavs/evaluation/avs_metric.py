"""AVSMetric: the AVSBench J and F measures as an mmengine metric
(docs/en/user_guides/2_train_test.md, Metrics)."""
import logging
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from .clip_scores import score_frames, summarize_clips
from .mask_io import write_prob_png
from .robustness import (
    POSITIVE,
    add_negative_metrics,
    clip_condition,
    frame_foreground_fractions,
    split_by_condition,
)
from .sample_fields import frame_flags, safe_join, sample_field, sample_maps

__all__ = ['AVSMetric']


_NAME = 'AVSMetric'
_EXPECTED = ('an AVSDataSample with ground truth, pred_fg_prob and the AVSBench meta '
             'information')


def _get(data_sample: dict, key: str):
    return sample_field(data_sample, key, _NAME, _EXPECTED)


@METRICS.register_module()
class AVSMetric(BaseMetric):
    """AVSBench metrics: mean Jaccard index (mJ) and F-score (mF)
    (docs/en/user_guides/2_train_test.md, Metrics).

    Each data sample is one clip of ``T`` frames; only its annotated frames
    (``gt_valid``) are evaluated. Per frame, J is the IoU of ``pred_fg_prob > 0.5`` with the
    ground truth (an empty ground truth scores the fraction of true-negative pixels) and F
    the F-score curve (``beta^2`` = 0.3) over 255 thresholds of ``pred_fg_prob``; frames with
    an empty ground truth have no F. Reported, as fractions in ``[0, 1]``:

    - ``mJ``: mean J over all evaluated frames.
    - ``mF``: the official AVSBench value, which depends on the test batch: clips are grouped
      into consecutive batches of ``fscore_batch_videos`` in dataset order (``sample_idx``),
      per batch the maximum over thresholds of the mean curve of its non-empty frames (0 for
      a batch without one), averaged over batches.
    - ``mF_dataset``: batch-independent, the maximum of the mean curve over all non-empty
      frames.
    - ``frames``: the number of evaluated frames.

    With several subsets (S4 and MS3) in one dataset, ``{subset}/mJ``, ``{subset}/mF`` and
    ``{subset}/mF_dataset`` are added (batches formed within each subset). Results do not
    depend on the number of processes: clips are ordered by ``(subset, split, sample_idx)``
    (``sample_idx`` restarts in each dataset of a ``ConcatDataset``) and repeated
    clips (distributed samplers pad the dataset) are counted once. A table per category is
    logged.

    Negative audio (AVSBench-Robust; :mod:`~projects.transavs.evaluation.robustness`): a clip
    whose meta information has ``audio_condition`` other than ``'positive'`` (set by the
    negative-audio transforms ``SilenceAudio``, ``NoiseAudio``, ``OffScreenAudio``) is not
    scored for J and F; its frames give the false positive rate, the mean fraction of pixels
    with ``pred_fg_prob > 0.5``: ``FPR/{condition}`` (and ``{subset}/FPR/{condition}``).
    When positive and negative clips are evaluated together, ``G-FPR``, ``G-mJ`` and
    ``G-mF`` are added (``RobustnessTestLoop`` runs one pass per condition and combines
    them the same way).

    Args:
        fscore_batch_videos (int): clips per batch of the official mF (official test
            script: 4).
        num_thresholds (int): F-score thresholds (official: 255).
        beta2 (float): F-score ``beta^2`` (official: 0.3).
        output_dir (str, optional): if set, every evaluated frame's foreground probability is
            written as an 8-bit PNG (probability x 255) at ``output_dir/<mask_rel_path>``,
            the ground-truth mask's path relative to the split's mask folder;
            ``tools/evaluate_masks.py`` scores such a folder. Clips with negative audio go
            to ``output_dir/{condition}/<mask_rel_path>``.
        keep_results (bool): not used: mmseg's own ``tools/test.py --out`` passes it (with
            ``output_dir``), so it is accepted; PNGs written to ``output_dir`` are always
            kept.
        collect_device (str): device used to collect results across processes, 'cpu' or
            'gpu'.
        prefix (str, optional): prefix of the metric names.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 fscore_batch_videos: int = 4,
                 num_thresholds: int = 255,
                 beta2: float = 0.3,
                 output_dir: Optional[str] = None,
                 keep_results: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if fscore_batch_videos < 1:
            raise ValueError(f'AVSMetric: fscore_batch_videos must be >= 1, got '
                             f'{fscore_batch_videos}')
        if num_thresholds < 1:
            raise ValueError(f'AVSMetric: num_thresholds must be >= 1, got {num_thresholds}')
        self.fscore_batch_videos = fscore_batch_videos
        self.num_thresholds = num_thresholds
        self.beta2 = beta2
        self.output_dir = output_dir
        del keep_results  # see the docstring

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Reduces each clip to per-frame J, empty-GT flags and F curves of annotated frames.

        Args:
            data_batch (dict): the data batch (unused).
            data_samples (Sequence[dict]): ``AVSDataSample.to_dict()`` of each clip, with
                ``gt_sem_seg`` and ``pred_fg_prob`` (``[T, H, W]``) and the meta keys
                ``sample_idx``, ``gt_valid`` (all frames if absent), ``subset``,
                ``category``, ``video_name`` and, with ``output_dir``, ``mask_rel_paths``.
        """
        for data_sample in data_samples:
            prob = sample_maps(data_sample, 'pred_fg_prob', _NAME, _EXPECTED)
            gt = sample_maps(data_sample, 'gt_sem_seg', _NAME, _EXPECTED).to(prob.device)
            name = data_sample.get('video_name')
            if prob.shape != gt.shape:
                raise ValueError(f'AVSMetric: video {name!r}: pred_fg_prob has shape '
                                 f'{tuple(prob.shape)} but gt_sem_seg {tuple(gt.shape)}; '
                                 'predictions must be at the ground-truth size')
            num_frames = prob.shape[0]
            valid = frame_flags(data_sample, 'gt_valid', num_frames, True, _NAME)
            index = [i for i, v in enumerate(valid) if v]
            index_t = torch.tensor(index, dtype=torch.long, device=prob.device)
            prob_v = prob.index_select(0, index_t).float()  # [n, H, W]
            gt_v = gt.index_select(0, index_t)
            condition = clip_condition(data_sample)
            if condition == POSITIVE:
                stats = score_frames(prob_v, gt_v, self.num_thresholds, self.beta2)
            else:  # negative audio: only the false positive rate (official: prob > 0.5)
                stats = dict(fpr=frame_foreground_fractions(prob_v > 0.5))
            stats.update(
                condition=condition,
                sample_idx=int(_get(data_sample, 'sample_idx')),
                split=data_sample.get('split'),
                subset=data_sample.get('subset'),
                category=data_sample.get('category'))
            self.results.append(stats)
            if self.output_dir is not None:
                root = (self.output_dir if condition == POSITIVE else
                        safe_join(self.output_dir, condition, _NAME))
                self._write_frames(data_sample, prob, index, root)

    def _write_frames(self, data_sample: dict, prob: torch.Tensor, index: List[int],
                      root: str) -> None:
        rel_paths = _get(data_sample, 'mask_rel_paths')
        name = data_sample.get('video_name')
        if len(rel_paths) != prob.shape[0]:
            raise ValueError(f'AVSMetric: video {name!r}: mask_rel_paths has '
                             f'{len(rel_paths)} entries for {prob.shape[0]} frames')
        # NaN is never foreground, as in the metrics (NaN > 0.5 and NaN >= th are False).
        prob = torch.nan_to_num(prob.detach().float(), nan=0.0).clamp(0, 1).cpu()
        for i in index:
            if rel_paths[i] is None:
                raise ValueError(f'AVSMetric: video {name!r}: frame {i + 1} is annotated but its '
                                 'mask_rel_paths entry is None; cannot name its output PNG')
            write_prob_png(safe_join(root, rel_paths[i], _NAME), prob[i])

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Orders clips by ``(subset, split, sample_idx)`` (once each) and summarises them.

        Args:
            results (list): the per-clip statistics collected from all processes.

        Returns:
            dict: ``mJ``, ``mF``, ``mF_dataset`` (fractions), ``frames`` and, with several
            subsets, the same three per subset as ``{subset}/{name}``, from the positive
            clips (when there are any); ``FPR/{condition}`` of each negative condition; with
            both, ``G-FPR``, ``G-mJ``, ``G-mF``.
        """
        clips = OrderedDict()
        def key(clip):
            return (str(clip.get('condition', POSITIVE)), str(clip.get('subset')),
                    str(clip.get('split')), clip['sample_idx'])

        for clip in sorted(results, key=key):
            clips.setdefault(key(clip), clip)
        clips, negatives = split_by_condition(list(clips.values()))
        if self.output_dir is not None:
            print_log(f'AVSMetric: prediction PNGs written to {self.output_dir}',
                      logger='current')
        metrics = self._positive_metrics(clips) if clips or not negatives else {}
        add_negative_metrics(metrics, clips, negatives, ('mJ', 'mF'))
        return metrics

    def _positive_metrics(self, clips: list) -> Dict[str, float]:
        """mJ / mF / mF_dataset / frames (and per subset) of the positive clips."""
        metrics = summarize_clips(clips, self.fscore_batch_videos)
        # mmengine's log processor drops integer metrics from the json logs; keep a float.
        metrics['frames'] = float(metrics['frames'])
        if metrics['frames'] == 0:
            print_log('AVSMetric: no annotated frame was evaluated; metrics are 0',
                      logger='current', level=logging.WARNING)
        subsets = sorted({str(c['subset']) for c in clips})
        per_subset = OrderedDict()
        if len(subsets) > 1:
            for subset in subsets:
                per_subset[subset] = summarize_clips(
                    [c for c in clips if str(c['subset']) == subset], self.fscore_batch_videos)
                for key in ('mJ', 'mF', 'mF_dataset'):
                    metrics[f'{subset}/{key}'] = per_subset[subset][key]
        self._log_tables(clips, metrics, per_subset)
        return metrics

    def _log_tables(self, clips: list, metrics: dict, per_subset: dict) -> None:
        """Logs a per-category table (J and batch-independent F) and a summary table."""
        categories = sorted({c['category'] for c in clips if c['category'] is not None})
        if categories:
            table = PrettyTable()
            table.field_names = ['Category', 'Clips', 'Frames', 'mJ', 'mF_dataset']
            table.align['Category'] = 'l'
            for category in categories:
                members = [c for c in clips if c['category'] == category]
                scores = summarize_clips(members, self.fscore_batch_videos)
                table.add_row([category, len(members), scores['frames'],
                               f'{scores["mJ"]:.4f}', f'{scores["mF_dataset"]:.4f}'])
            print_log('per category results:', logger='current')
            print_log('\n' + table.get_string(), logger='current')
        summary = PrettyTable()
        summary.field_names = ['Subset', 'Clips', 'Frames', 'mJ',
                               f'mF (batches of {self.fscore_batch_videos})', 'mF_dataset']
        summary.align['Subset'] = 'l'
        rows = [(s, [c for c in clips if str(c['subset']) == s], per_subset[s])
                for s in per_subset]
        rows.append(('all', clips, metrics))
        for label, members, scores in rows:
            summary.add_row([label, len(members), scores['frames'], f'{scores["mJ"]:.4f}',
                             f'{scores["mF"]:.4f}', f'{scores["mF_dataset"]:.4f}'])
        print_log('summary:', logger='current')
        print_log('\n' + summary.get_string(), logger='current')
