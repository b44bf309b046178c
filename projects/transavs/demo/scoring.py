"""Scoring the demo's model and its audio-blind "segment every object" reference."""
import copy
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

from ..datasets.synthetic import VideoPlan, render_frames
from ..evaluation import score_frames, summarize_clips
from .config import SUBSETS

__all__ = ['evaluate', 'every_object_reference', 'per_subset', 'mute_audio']

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


def mute_audio(loader_cfg: dict) -> dict:
    """A copy of a test loader config whose clips have their audio silenced.

    ``MuteAudio`` goes right after the step that makes the log-mels (``LoadAudioLogMel`` or
    ``WaveformToLogMel``) of every dataset (one, or the datasets of a ``ConcatDataset``).

    Args:
        loader_cfg (dict): The test data loader config.

    Returns:
        dict: The changed copy.
    """
    loader_cfg = copy.deepcopy(loader_cfg)
    dataset = loader_cfg['dataset']
    for ds in dataset.get('datasets', [dataset]):
        pipeline = ds['pipeline']
        steps = [i for i, step in enumerate(pipeline)
                 if step['type'] in ('LoadAudioLogMel', 'WaveformToLogMel')]
        if not steps:
            raise ValueError('mute_audio: the test pipeline makes no log-mels (expected '
                             'LoadAudioLogMel or WaveformToLogMel)')
        pipeline.insert(steps[-1] + 1, dict(type='MuteAudio'))
    return loader_cfg


def every_object_reference(plans: Dict[str, Sequence[VideoPlan]],
                           size: int) -> Dict[str, dict]:
    """mJ / mF of predicting every object (sounding or silent) as sounding.

    Args:
        plans (dict[str, Sequence[VideoPlan]]): The test videos per subset.
        size (int): Their frame side in pixels.

    Returns:
        dict[str, dict]: Per subset, ``mJ``, ``mF``, ``mF_dataset`` and ``frames`` (mF in
        batches of 4 clips).
    """
    results = {}
    for subset, subset_plans in plans.items():
        clips: List[dict] = []
        for plan in subset_plans:
            _, masks, objects = render_frames(plan, size)  # [T, size, size] bool each
            clips.append(score_frames(torch.from_numpy(objects).float(),
                                      torch.from_numpy(masks).to(torch.uint8)))
        results[subset] = summarize_clips(clips, fscore_batch_videos=4)
    return results


def per_subset(metrics: dict) -> Dict[str, dict]:
    """The metrics of :func:`evaluate` by subset.

    Args:
        metrics (dict): ``{subset}/mJ``, ``{subset}/mF``, ``{subset}/mF_dataset``.

    Returns:
        dict[str, dict]: ``{subset: dict(mJ, mF, mF_dataset)}``.
    """
    return {s: dict(mJ=metrics[f'{s}/mJ'], mF=metrics[f'{s}/mF'],
                    mF_dataset=metrics[f'{s}/mF_dataset']) for s in SUBSETS}
