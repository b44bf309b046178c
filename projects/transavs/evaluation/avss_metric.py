"""AVSSMetric: the AVSBench-semantic mIoU and F-score (official aggregation) as an mmengine
metric."""
import logging
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from ..datasets.semantic_palette import bit_palette
from .mask_io import write_palette_png
from .robustness import (
    POSITIVE,
    add_negative_metrics,
    clip_condition,
    frame_foreground_fractions,
    split_by_condition,
)
from .sample_fields import frame_flags, safe_join, sample_field, sample_maps
from .semantic_scores import class_table, frame_class_stats, summarize_classes

__all__ = ['AVSSMetric']

_NAME = 'AVSSMetric'


_EXPECTED = ('an AVSDataSample with gt_sem_seg, pred_sem_seg and the AVSBench-semantic meta '
             'information')


def _get(data_sample: dict, key: str):
    return sample_field(data_sample, key, _NAME, _EXPECTED)


@METRICS.register_module()
class AVSSMetric(BaseMetric):
    """AVSBench-semantic (AVSS) metrics: mIoU and mF as the official code computes them.

    The official definition (AVSBench repository, ``avss/utils/compute_color_metrics.py``,
    ``_batch_miou_fscore``, summed over the test set by ``avss/test.py``): every evaluated
    frame is scored separately; per class ``c``, with ``I``, ``P``, ``G`` the pixels where
    prediction and ground truth are both ``c``, where the prediction is ``c`` and where the
    ground truth is ``c``, the frame adds ``I / (P + G - I)`` to the class's IoU sum,
    ``(1 + beta^2) prec rec / (beta^2 prec + rec)`` (``prec = I / P``, ``rec = I / G``, 0
    when undefined) to its F sum, and counts for the class when ``P + G - I > 0``. A class's
    IoU (F) is its sum over its count (0 for a class never counted); ``mIoU`` and ``mF`` are
    the means over **all** ``K`` classes (71, background included), so that classes absent
    from the evaluated clips pull the means down. The official test loop evaluates every
    frame of the clips as loaded, the frames added to pad 5-frame v1 clips to 10 included
    (black frames, all background); ``evaluate_padded=True`` does the same.

    Evaluated frames: ``gt_valid | (frame_padded & evaluate_padded)``. Reported, as
    fractions in ``[0, 1]``:

    - ``mIoU``, ``mF``: the official values.
    - ``mIoU_present``, ``mF_present``: the means over the classes counted at least once.
    - ``frames``: the number of evaluated frames.
    - with several subsets (``v1s``, ``v1m``, ``v2``) in the results, ``{subset}/mIoU`` and
      ``{subset}/mF`` (the official means over all classes, of that subset's frames).

    Results do not depend on the number of processes: each clip is reduced to per-class sums
    (float64), clips are ordered by ``(subset, split, sample_idx)`` and repeated clips
    (distributed samplers pad the dataset) are counted once. A table of the classes counted
    at least once and a summary table are logged.

    Negative audio (AVSBench-Robust; :mod:`~projects.transavs.evaluation.robustness`): a clip
    whose meta information has ``audio_condition`` other than ``'positive'`` is not scored
    for IoU and F; its real annotated frames (``gt_valid`` and not ``frame_padded``: the
    black padding frames would only dilute it) give the false positive rate, the mean
    fraction of pixels predicted as any class but background: ``FPR/{condition}`` (and
    ``{subset}/FPR/{condition}``). With positive and negative clips evaluated together,
    ``G-FPR``, ``G-mIoU`` and ``G-mF`` are added.

    Args:
        num_classes (int, optional): ``K``, background included. Defaults to the number of
            ``dataset_meta['classes']`` (the dataset's ``label2idx.json``).
        evaluate_padded (bool): also evaluate the padded frames of v1 clips
            (``frame_padded``), as the official test loop. Defaults to True.
        beta2 (float): F-score ``beta^2`` (official: 0.3).
        ignore_index (int, optional): a ground-truth value whose pixels are not scored (the
            official code has none). Defaults to None: every label must be a class.
        output_dir (str, optional): if set, every evaluated real frame's predicted class map
            is written as an RGB palette PNG (``bit_palette(K)``) at
            ``output_dir/<mask_rel_path>`` (``{label}/{uid}/labels_rgb/{i}.png``, as the
            release's labels); padded frames are not written. ``tools/evaluate_masks.py
            --task avss`` scores such a folder. Clips with negative audio go to
            ``output_dir/{condition}/<mask_rel_path>``.
        keep_results (bool): not used: mmseg's own ``tools/test.py --out`` passes it (with
            ``output_dir``), so it is accepted; PNGs written to ``output_dir`` are kept.
        collect_device (str): device used to collect results across processes, 'cpu' or
            'gpu'.
        prefix (str, optional): prefix of the metric names.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 num_classes: Optional[int] = None,
                 evaluate_padded: bool = True,
                 beta2: float = 0.3,
                 ignore_index: Optional[int] = None,
                 output_dir: Optional[str] = None,
                 keep_results: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 2):
            raise ValueError(f'{_NAME}: num_classes must be an int >= 2 (background '
                             f'included), got {num_classes!r}')
        self.num_classes = num_classes
        self.evaluate_padded = bool(evaluate_padded)
        self.beta2 = beta2
        self.ignore_index = ignore_index
        self.output_dir = output_dir
        self._palette = None
        del keep_results  # see the docstring

    def _classes(self) -> Optional[Sequence[str]]:
        meta = self.dataset_meta or {}
        classes = meta.get('classes')
        return tuple(classes) if classes is not None else None

    def _resolve_num_classes(self) -> int:
        """``num_classes``, else the number of ``dataset_meta['classes']``."""
        classes = self._classes()
        if self.num_classes is None:
            if classes is None:
                raise ValueError(f'{_NAME}: the number of classes is unknown; set '
                                 'num_classes or evaluate a dataset whose metainfo has '
                                 "'classes' (AVSBenchSemanticDataset)")
            return len(classes)
        if classes is not None and len(classes) != self.num_classes:
            raise ValueError(f'{_NAME}: num_classes={self.num_classes} but the dataset has '
                             f'{len(classes)} classes')
        return self.num_classes

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Reduces each clip to per-class sums of IoU and F and frame counts.

        Args:
            data_batch (dict): the data batch (unused).
            data_samples (Sequence[dict]): ``AVSDataSample.to_dict()`` of each clip, with
                ``pred_sem_seg`` and ``gt_sem_seg`` (``[T, H, W]`` class indices) and the
                meta keys ``sample_idx``, ``subset``, ``split``, ``video_name``,
                ``gt_valid`` (all frames if absent), ``frame_padded`` (none if absent) and,
                with ``output_dir``, ``mask_rel_paths``.
        """
        num_classes = self._resolve_num_classes()
        for data_sample in data_samples:
            pred = sample_maps(data_sample, 'pred_sem_seg', _NAME, _EXPECTED)
            gt = sample_maps(data_sample, 'gt_sem_seg', _NAME, _EXPECTED).to(pred.device)
            name = data_sample.get('video_name')
            if pred.shape != gt.shape:
                raise ValueError(f'{_NAME}: video {name!r}: pred_sem_seg has shape '
                                 f'{tuple(pred.shape)} but gt_sem_seg {tuple(gt.shape)}; '
                                 'predictions must be at the ground-truth size')
            num_frames = pred.shape[0]
            valid = frame_flags(data_sample, 'gt_valid', num_frames, True, _NAME)
            padded = frame_flags(data_sample, 'frame_padded', num_frames, False, _NAME)
            condition = clip_condition(data_sample)
            if condition == POSITIVE:
                index = [i for i in range(num_frames)
                         if valid[i] or (padded[i] and self.evaluate_padded)]
            else:
                index = [i for i in range(num_frames) if valid[i] and not padded[i]]
            index_t = torch.tensor(index, dtype=torch.long, device=pred.device)
            if condition == POSITIVE:
                try:
                    stats = frame_class_stats(pred.index_select(0, index_t),
                                              gt.index_select(0, index_t), num_classes,
                                              self.beta2, self.ignore_index)
                except ValueError as err:
                    raise ValueError(f'{_NAME}: video {name!r}: {err}') from None
            else:  # negative audio: only the false positive rate
                stats = dict(fpr=frame_foreground_fractions(pred.index_select(0, index_t) != 0))
            stats.update(
                condition=condition,
                sample_idx=int(_get(data_sample, 'sample_idx')),
                split=data_sample.get('split'),
                subset=data_sample.get('subset'))
            self.results.append(stats)
            if self.output_dir is not None:
                real = [i for i in index if not padded[i]]
                root = (self.output_dir if condition == POSITIVE else
                        safe_join(self.output_dir, condition, _NAME))
                self._write_frames(data_sample, pred, real, num_classes, root)

    def _write_frames(self, data_sample: dict, pred: torch.Tensor, index: List[int],
                      num_classes: int, root: str) -> None:
        rel_paths = _get(data_sample, 'mask_rel_paths')
        name = data_sample.get('video_name')
        if len(rel_paths) != pred.shape[0]:
            raise ValueError(f'{_NAME}: video {name!r}: mask_rel_paths has {len(rel_paths)} '
                             f'entries for {pred.shape[0]} frames')
        if self._palette is None or len(self._palette) != num_classes:
            self._palette = bit_palette(num_classes)
        pred = pred.detach().cpu()
        for i in index:
            if rel_paths[i] is None:
                raise ValueError(f'{_NAME}: video {name!r}: frame {i + 1} is evaluated but '
                                 'its mask_rel_paths entry is None; cannot name its output '
                                 'PNG')
            write_palette_png(safe_join(root, rel_paths[i], _NAME), pred[i],
                              self._palette)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Sums the clips once each (ordered by ``(subset, split, sample_idx)``) and
        summarises them.

        Args:
            results (list): the per-clip sums collected from all processes.

        Returns:
            dict: ``mIoU``, ``mF``, ``mIoU_present``, ``mF_present`` (fractions),
            ``frames`` and, with several subsets, ``{subset}/mIoU`` and ``{subset}/mF``, of
            the positive clips (when there are any); ``FPR/{condition}`` of each negative
            condition; with both, ``G-FPR``, ``G-mIoU``, ``G-mF``.
        """
        def key(clip):
            return (str(clip.get('condition', POSITIVE)), str(clip.get('subset')),
                    str(clip.get('split')), clip['sample_idx'])

        clips = OrderedDict()
        for clip in sorted(results, key=key):
            clips.setdefault(key(clip), clip)
        clips, negatives = split_by_condition(list(clips.values()))
        if self.output_dir is not None:
            print_log(f'{_NAME}: prediction PNGs written to {self.output_dir}',
                      logger='current')
        metrics = self._positive_metrics(clips) if clips or not negatives else {}
        add_negative_metrics(metrics, clips, negatives, ('mIoU', 'mF'))
        return metrics

    def _positive_metrics(self, clips: list) -> Dict[str, float]:
        """The official metrics (and per subset) of the positive clips."""
        summary = self._summarize(clips)
        metrics = {k: summary[k] for k in ('mIoU', 'mF', 'mIoU_present', 'mF_present')}
        # mmengine's log processor drops integer metrics from the json logs; keep a float.
        metrics['frames'] = float(summary['frames'])
        if metrics['frames'] == 0:
            print_log(f'{_NAME}: no frame was evaluated; metrics are 0', logger='current',
                      level=logging.WARNING)
        subsets = sorted({str(c['subset']) for c in clips})
        per_subset = OrderedDict()
        if len(subsets) > 1:
            for subset in subsets:
                per_subset[subset] = self._summarize(
                    [c for c in clips if str(c['subset']) == subset])
                for name in ('mIoU', 'mF'):
                    metrics[f'{subset}/{name}'] = per_subset[subset][name]
        self._log_tables(clips, summary, per_subset)
        return metrics

    def _summarize(self, clips: list) -> dict:
        """:func:`summarize_classes` of the clips' summed sums, plus ``frames``."""
        num_classes = len(clips[0]['iou_sum']) if clips else self._resolve_num_classes()
        sums = {k: torch.zeros(num_classes, dtype=torch.float64)
                for k in ('iou_sum', 'f_sum', 'count')}
        for clip in clips:
            for k in sums:
                sums[k] += torch.as_tensor(clip[k], dtype=torch.float64).cpu()
        summary = summarize_classes(sums['iou_sum'], sums['f_sum'], sums['count'])
        summary['frames'] = sum(int(c['frames']) for c in clips)
        return summary

    def _log_tables(self, clips: list, summary: dict, per_subset: dict) -> None:
        """Logs the classes counted at least once (IoU, F, frames) and a summary table."""
        table = class_table(summary, self._classes())
        print_log('per class results (classes in a prediction or ground truth):',
                  logger='current')
        print_log('\n' + table.get_string(), logger='current')
        overview = PrettyTable()
        overview.field_names = ['Subset', 'Clips', 'Frames', 'mIoU', 'mF', 'mIoU_present',
                                'mF_present']
        overview.align['Subset'] = 'l'
        rows = [(s, [c for c in clips if str(c['subset']) == s], per_subset[s])
                for s in per_subset]
        rows.append(('all', clips, summary))
        for label, members, scores in rows:
            overview.add_row([label, len(members), scores['frames'], f'{scores["mIoU"]:.4f}',
                              f'{scores["mF"]:.4f}', f'{scores["mIoU_present"]:.4f}',
                              f'{scores["mF_present"]:.4f}'])
        print_log(f'summary (mIoU, mF: means over all {len(summary["count"])} classes):',
                  logger='current')
        print_log('\n' + overview.get_string(), logger='current')
