"""Scoring the demo's model and its audio-blind "segment every object" reference."""
from typing import Dict, List, Sequence, Tuple

import torch
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

from ..datasets.synthetic import VideoPlan, render_frames
from ..evaluation import score_frames, summarize_clips
from .config import SUBSETS

__all__ = ['evaluate', 'every_object_reference', 'per_subset']


def evaluate(runner: Runner, loader_cfg: dict, keep: int = 0) -> Tuple[dict, Dict[str, list]]:
    """Runs the model over a test loader with the official metrics (``AVSMetric``).

    Args:
        runner (Runner): A runner whose model is trained.
        loader_cfg (dict): The test data loader config (S4 and MS3 concatenated).
        keep (int): Outputs to keep per subset (for pictures). Defaults to 0.

    Returns:
        tuple[dict, dict[str, list]]: The metrics (``{subset}/mJ`` ...) and the first
        ``keep`` output samples per subset (on the CPU).
    """
    loader = runner.build_dataloader(loader_cfg)
    evaluator = Evaluator([dict(type='AVSMetric', fscore_batch_videos=4)])
    kept = {s: [] for s in SUBSETS}
    runner.model.eval()
    with torch.no_grad():
        for batch in loader:
            outputs = runner.model.test_step(batch)
            evaluator.process(outputs, batch)
            for sample in outputs:
                subset = sample.metainfo['subset']
                if len(kept[subset]) < keep:
                    kept[subset].append(sample.cpu())
    return evaluator.evaluate(len(loader.dataset)), kept


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
