"""Scoring the demo's model and its audio-blind "segment every object" reference."""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

from ..datasets.synthetic import VideoPlan, render_frames, render_owners
from ..datasets.transforms import NEGATIVE_CONDITIONS
from ..engine import negative_loader_cfg
from ..evaluation import query_predictions, recalled_objects, score_frames, summarize_clips
from ..evaluation.robustness import combine_passes, frame_foreground_fractions
from .config import SUBSETS

__all__ = ['evaluate', 'evaluate_robustness', 'every_object_reference', 'object_recall',
           'per_subset']

#: the official binary metrics (S4, MS3)
AVS_METRIC = dict(type='AVSMetric', fscore_batch_videos=4)


def evaluate(runner: Runner, loader_cfg: dict, keep: int = 0,
             metric: Optional[dict] = None) -> Tuple[dict, Dict[str, list]]:
    """Runs the model over a test loader with the official metrics.

    Args:
        runner (Runner): A runner whose model is trained.
        loader_cfg (dict): The test data loader config.
        keep (int): Outputs to keep per subset (for pictures). Defaults to 0.
        metric (dict, optional): The metric config; defaults to ``AVSMetric`` (S4, MS3).
            It sees the data set's metainfo (``AVSSMetric`` takes its classes from it).

    Returns:
        tuple[dict, dict[str, list]]: The metrics (e.g. ``{subset}/mJ``) and the first
        ``keep`` output samples per subset (on the CPU).
    """
    loader = runner.build_dataloader(loader_cfg)
    evaluator = Evaluator([metric or AVS_METRIC])
    evaluator.dataset_meta = loader.dataset.metainfo
    kept = defaultdict(list)
    runner.model.eval()
    with torch.no_grad():
        for batch in loader:
            outputs = runner.model.test_step(batch)
            evaluator.process(outputs, batch)
            for sample in outputs:
                subset = sample.metainfo['subset']
                if len(kept[subset]) < keep:
                    kept[subset].append(sample.cpu())
    return evaluator.evaluate(len(loader.dataset)), dict(kept)


def evaluate_robustness(runner: Runner, loader_cfg: dict, seed: int = 0, keep: int = 0,
                        metric: Optional[dict] = None,
                        conditions: Sequence[str] = NEGATIVE_CONDITIONS
                        ) -> Tuple[dict, Dict[str, Dict[str, list]]]:
    """The model with the true audio and under each negative-audio condition.

    The passes of ``RobustnessTestLoop`` (``tools/test.py --robustness``), run here on the
    demo's runner: the test loader as given, then per condition with the condition's
    transform (:func:`~projects.transavs.engine.negative_loader_cfg`).

    Args:
        runner (Runner): A runner whose model is trained.
        loader_cfg (dict): The test data loader config.
        seed (int): The negatives' seed. Defaults to 0.
        keep (int): Outputs to keep per subset and pass (for pictures). Defaults to 0.
        metric (dict, optional): The metric config (:func:`evaluate`).
        conditions (Sequence[str]): The negative conditions. Defaults to silence, noise,
            off-screen.

    Returns:
        tuple[dict, dict]: The merged metrics (the positive ones, ``FPR/{condition}``,
        ``G-FPR`` and the G-scores, overall and ``{subset}/...``), and the kept outputs
        per pass (``'positive'`` and each condition) and subset.
    """
    metrics, kept = evaluate(runner, loader_cfg, keep=keep, metric=metric)
    kept = {'positive': kept}
    for condition in conditions:
        negative, kept[condition] = evaluate(
            runner, negative_loader_cfg(loader_cfg, condition, seed=seed), keep=keep,
            metric=metric)
        metrics.update(negative)
    combine_passes(metrics, list(conditions))
    return metrics, kept


def object_recall(runner: Runner, loader_cfg: dict,
                  plans: Dict[str, Sequence[VideoPlan]]) -> Dict[str, dict]:
    """Per-object recall of the model on generated test clips
    (:mod:`~projects.transavs.evaluation.object_recall`).

    The objects' regions come from re-drawing each clip from its plan at the network input
    size (the test pipeline resizes the frames to it; the generated frames have that size).

    Args:
        runner (Runner): A runner whose model is trained.
        loader_cfg (dict): The test data loader config.
        plans (dict[str, Sequence[VideoPlan]]): The test clips' plans per subset.

    Returns:
        dict[str, dict]: Per subset, ``recall`` (recalled / visible sounding objects, over
        all frames), ``objects`` (that count) and ``sounding_queries`` (queries per frame
        that predict a sounding class).

    Raises:
        KeyError: a test clip has no plan.
    """
    by_name = {p.name: p for subset_plans in plans.values() for p in subset_plans}
    loader = runner.build_dataloader(loader_cfg)
    model = runner.model
    num_classes = model.decode_head.num_classes
    counts = defaultdict(lambda: [0, 0, 0, 0])  # recalled, objects, sounding queries, frames
    model.eval()
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            outs = model._forward(data['inputs'])
            size = tuple(data['inputs']['frames'].shape[-2:])
            masks, sounding = query_predictions(outs['cls_logits'][-1], outs['mask_logits'][-1],
                                                size, num_classes)  # [B*T, N, H, W], [B*T, N]
            num_frames = data['inputs']['frames'].shape[1]
            for b, sample in enumerate(data['data_samples']):
                name = sample.metainfo['video_name']
                if name not in by_name:
                    raise KeyError(f'object_recall: no plan for test clip {name!r}')
                plan = by_name[name]
                _, owners = render_owners(plan, (size[1], size[0]), num_frames)  # [T, H, W]
                count = counts[sample.metainfo['subset']]
                for t in range(num_frames):
                    frame = b * num_frames + t  # (B, T) -> B*T
                    regions = [owners[t] == k for k, obj in enumerate(plan.objects)
                               if obj.sounding]
                    regions = [r for r in regions if r.any()]
                    if regions:
                        hit = recalled_objects(masks[frame], sounding[frame],
                                               torch.from_numpy(np.stack(regions)))
                        count[0] += int(hit.sum())
                        count[1] += len(regions)
                    count[2] += int(sounding[frame].sum())
                    count[3] += 1
    return {subset: dict(recall=c[0] / max(c[1], 1), objects=c[1],
                         sounding_queries=c[2] / max(c[3], 1))
            for subset, c in counts.items()}


def every_object_reference(plans: Dict[str, Sequence[VideoPlan]],
                           size: int) -> Dict[str, dict]:
    """mJ / mF of predicting every object (sounding or silent) as sounding.

    Args:
        plans (dict[str, Sequence[VideoPlan]]): The test videos per subset.
        size (int): Their frame side in pixels.

    Returns:
        dict[str, dict]: Per subset, ``mJ``, ``mF``, ``mF_dataset`` and ``frames`` (mF in
        batches of 4 clips), and ``FPR``: the mean fraction of a frame's pixels it predicts
        sounding, its false positive rate under any negative audio (it does not listen).
    """
    results = {}
    for subset, subset_plans in plans.items():
        clips: List[dict] = []
        fractions = []
        for plan in subset_plans:
            _, masks, objects = render_frames(plan, size)  # [T, size, size] bool each
            clips.append(score_frames(torch.from_numpy(objects).float(),
                                      torch.from_numpy(masks).to(torch.uint8)))
            fractions.append(frame_foreground_fractions(torch.from_numpy(objects)))
        results[subset] = summarize_clips(clips, fscore_batch_videos=4)
        results[subset]['FPR'] = float(np.concatenate(fractions).mean())
    return results


def per_subset(metrics: dict, subsets: Sequence[str] = SUBSETS) -> Dict[str, dict]:
    """The metrics of :func:`evaluate` by subset.

    Args:
        metrics (dict): ``{subset}/mJ``, ``{subset}/mF``, ``{subset}/mF_dataset`` (with one
            subset, ``AVSMetric`` reports only ``mJ``, ``mF``, ``mF_dataset``).
        subsets (Sequence[str]): The subsets. Defaults to the demo's (S4, MS3).

    Returns:
        dict[str, dict]: ``{subset: dict(mJ, mF, mF_dataset)}``.
    """
    keys = ('mJ', 'mF', 'mF_dataset')
    if len(subsets) == 1:
        return {subsets[0]: {k: metrics[k] for k in keys}}
    return {s: {k: metrics[f'{s}/{k}'] for k in keys} for s in subsets}
