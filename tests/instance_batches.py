"""Batches for the compile tests (CPU and CUDA): a frame of several instances, and the
instance maps that ``ClipInstanceTargets`` gives the training pipeline."""
import copy

from projects.transavs.datasets.transforms import ClipInstanceTargets, pack_instance_targets


def two_sounding_regions(batch: dict) -> dict:
    """The batch with a first frame of two separate sounding regions (three instances with
    ``gt_instances='components'``: the background and two components)."""
    batch = copy.deepcopy(batch)
    gt = batch['data_samples'][0].gt_sem_seg.data
    gt[0] = 0
    gt[0, 2:12, 2:12] = 1
    gt[0, 30:44, 30:44] = 1
    return batch


def with_instances(batch: dict, mode: str = 'components', max_instances: int = 8) -> dict:
    """The batch with the instance maps ClipInstanceTargets gives the training pipeline."""
    batch = copy.deepcopy(batch)
    labeller = ClipInstanceTargets(mode=mode, max_instances=max_instances)
    for sample in batch['data_samples']:
        gt = sample.gt_sem_seg.data
        results = labeller(dict(gt_masks=gt.cpu().numpy(), gt_valid=sample.gt_valid))
        pack_instance_targets(results, sample, tuple(gt.shape))
    return batch
