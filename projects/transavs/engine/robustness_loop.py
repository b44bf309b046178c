"""RobustnessTestLoop: the test split once with its audio and once per negative-audio
condition, combined into the AVSBench-Robust scores (one table)."""
import copy
from typing import Dict, List, Optional, Sequence, Union

from mmengine.logging import print_log
from mmengine.runner import TestLoop
from mmseg.registry import LOOPS, TRANSFORMS
from torch.utils.data import DataLoader

from ..datasets.transforms import (
    NEGATIVE_CONDITIONS,
    OffScreenAudio,
    insert_negative_audio,
    negative_audio_transform,
)
from ..evaluation.robustness import combine_passes, fpr_key, robustness_table

__all__ = ['RobustnessTestLoop', 'negative_loader_cfg']


def negative_loader_cfg(loader_cfg: dict,
                        condition: str,
                        seed: int = 0,
                        noise: Optional[dict] = None,
                        category_groups: Optional[dict] = None) -> dict:
    """A copy of a test loader config whose clips get a negative audio condition.

    The condition's transform (``SilenceAudio``, ``NoiseAudio`` or ``OffScreenAudio``)
    goes right after the step that makes the model's log-mels in the pipeline of every
    dataset (one, or each of a ``ConcatDataset``'s ``datasets``); an off-screen donor is
    taken from the same dataset (the same subset and split), with the same audio steps.

    Args:
        loader_cfg (dict): The test data loader config.
        condition (str): ``'silence'``, ``'noise'`` or ``'off-screen'``.
        seed (int): The seed of the noise and of the off-screen choice. Defaults to 0.
        noise (dict, optional): ``NoiseAudio`` arguments (``color``, ``level_db``).
        category_groups (dict, optional): ``OffScreenAudio``'s coarser category groups.

    Returns:
        dict: The changed copy.
    """
    loader_cfg = copy.deepcopy(loader_cfg)
    dataset = loader_cfg['dataset']
    for ds in dataset.get('datasets', [dataset]):
        transform = negative_audio_transform(condition, ds, ds['pipeline'], seed=seed,
                                             noise=noise, category_groups=category_groups)
        ds['pipeline'] = insert_negative_audio(ds['pipeline'], transform)
    return loader_cfg


@LOOPS.register_module()
class RobustnessTestLoop(TestLoop):
    """Tests with the true audio and with negative audio (AVSBench-Robust, Li et al. 2025).

    Runs the test data loader once as given (the positive pass: mJ / mF, or mIoU / mF for
    the semantic task) and once per negative condition, with the condition's transform
    inserted in the pipeline (:func:`negative_loader_cfg`): ``'silence'`` (``SilenceAudio``),
    ``'noise'`` (``NoiseAudio``) and ``'off-screen'`` (``OffScreenAudio``, the audio of
    another clip of the split whose sounding categories are not in this one). Each negative
    clip's ground truth is empty, so the metric (``AVSMetric`` / ``AVSSMetric``) reports its
    false positive rate ``FPR/{condition}``; the loop then adds ``G-FPR`` (the mean FPR) and
    the harmonic means ``G-mJ``, ``G-mF`` (``G-mIoU``) of the positive scores and
    ``1 - G-FPR`` (:mod:`~projects.transavs.evaluation.robustness`), logs one table and
    returns every value (the runner's logger writes them to the run's json).

    Every pass goes through the runner's hooks, so progress is logged and the visualization
    hook draws the negative clips too (as ``{condition}_{video}``); ``--out`` PNGs of a
    negative pass go to ``{output_dir}/{condition}/``. The negatives depend only on
    ``seed`` and each clip's name, not on the number of processes or workers.

    Use it through the config (``test_cfg = dict(type='RobustnessTestLoop')``) or
    ``tools/test.py CONFIG CKPT --robustness``.

    Args:
        runner (Runner): The runner.
        dataloader (dict): The test loader config (a built DataLoader cannot be changed per
            condition and is refused).
        evaluator (Evaluator | dict | list): The metrics.
        conditions (Sequence[str]): The negative conditions, any of ``'silence'``,
            ``'noise'``, ``'off-screen'``. Defaults to all three.
        seed (int): The negatives' seed. Defaults to 0.
        noise (dict, optional): ``NoiseAudio`` arguments, e.g. ``dict(color='pink',
            level_db=-6)``. Defaults to white noise at the clip's level.
        category_groups (dict, optional): ``OffScreenAudio`` category -> group, to refuse
            donors of the same broad group (AVSBench-Robust's rule) rather than of the same
            category.
        fp16 (bool): Autocast in the passes. Defaults to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[dict, DataLoader],
                 evaluator,
                 conditions: Sequence[str] = NEGATIVE_CONDITIONS,
                 seed: int = 0,
                 noise: Optional[dict] = None,
                 category_groups: Optional[dict] = None,
                 fp16: bool = False) -> None:
        if not isinstance(dataloader, dict):
            raise TypeError('RobustnessTestLoop needs the test_dataloader as a config dict '
                            '(it inserts a transform per condition), got a '
                            f'{type(dataloader).__name__}')
        conditions = [conditions] if isinstance(conditions, str) else list(conditions)
        unknown = [c for c in conditions if c not in NEGATIVE_CONDITIONS]
        if not conditions or unknown or len(set(conditions)) != len(conditions):
            raise ValueError(f'RobustnessTestLoop: conditions must be distinct names among '
                             f'{NEGATIVE_CONDITIONS}, got {conditions}')
        self._loader_cfg = copy.deepcopy(dataloader)
        super().__init__(runner, dataloader, evaluator, fp16=fp16)
        self.conditions: List[str] = conditions
        self.seed = int(seed)
        self.noise = dict(noise or {})
        self.category_groups = category_groups
        self._negative_cfgs = {
            c: negative_loader_cfg(self._loader_cfg, c, self.seed, self.noise,
                                   self.category_groups) for c in self.conditions
        }
        self._check_negatives()

    def _check_negatives(self) -> None:
        """Builds each condition's transforms once (and the off-screen donor pools), so that
        a bad setting, e.g. MS3 clips without sounding categories for ``'off-screen'``, stops
        the run before the positive pass rather than after it."""
        for loader_cfg in self._negative_cfgs.values():
            dataset = loader_cfg['dataset']
            for ds in dataset.get('datasets', [dataset]):
                for step in ds['pipeline']:
                    if step.get('type') in ('SilenceAudio', 'NoiseAudio', 'OffScreenAudio'):
                        transform = TRANSFORMS.build(step)
                        if isinstance(transform, OffScreenAudio):
                            transform.pool  # noqa: B018  (builds the pool: raises if unusable)

    def _run_pass(self, dataloader) -> Dict[str, float]:
        """Runs the model over one loader and evaluates it (through the iteration hooks)."""
        self.dataloader = dataloader  # runner.test_dataloader, for the hooks
        self.test_loss.clear()
        for idx, data_batch in enumerate(dataloader):
            self.run_iter(idx, data_batch)
        return self.evaluator.evaluate(len(dataloader.dataset))

    def run(self) -> dict:
        """Launches the positive pass and one pass per condition; returns all metrics."""
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        self.runner.model.eval()
        positive_loader = self.dataloader
        print_log('RobustnessTestLoop: pass 1 of '
                  f'{len(self.conditions) + 1}, the true audio', logger='current')
        metrics = dict(self._run_pass(positive_loader))
        for i, condition in enumerate(self.conditions, start=2):
            print_log(f'RobustnessTestLoop: pass {i} of {len(self.conditions) + 1}, '
                      f'negative audio "{condition}"', logger='current')
            loader = self.runner.build_dataloader(self._negative_cfgs[condition],
                                                  seed=self.runner.seed)
            pass_metrics = self._run_pass(loader)
            if fpr_key(condition) not in pass_metrics:
                raise RuntimeError(f'RobustnessTestLoop: the metrics of the "{condition}" '
                                   f'pass have no {fpr_key(condition)!r} (got '
                                   f'{sorted(pass_metrics)}); use AVSMetric or AVSSMetric')
            metrics.update(pass_metrics)
        self.dataloader = positive_loader

        score_keys, subsets = combine_passes(metrics, self.conditions)
        table = robustness_table(metrics, self.conditions, score_keys,
                                 subsets if len(subsets) > 1 else None)
        print_log('negative-audio robustness (AVSBench-Robust; fractions; G-* = harmonic '
                  'mean of the score and 1 - G-FPR):\n' + table.get_string(),
                  logger='current')
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics
