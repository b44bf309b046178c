"""A random batch of clips for timing a model: no data loading in the measurement."""
from typing import Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import TRANSFORMS

from ..datasets.transforms import pack_instance_targets
from ..structures import AVSDataSample

__all__ = ['instance_targets_cfg', 'make_batch']


def instance_targets_cfg(cfg: Config) -> Optional[dict]:
    """The ``ClipInstanceTargets`` step of a config's training pipeline(s), if any.

    Args:
        cfg (Config): a full config (``train_dataloader``).

    Returns:
        dict | None: the step's config (the first found, also inside ``ConcatDataset``s).
    """
    def find(node):
        if isinstance(node, dict):
            if node.get('type') == 'ClipInstanceTargets':
                return dict(node)
            values = node.values()
        elif isinstance(node, (list, tuple)):
            values = node
        else:
            return None
        return next((hit for hit in map(find, values) if hit is not None), None)

    return find((cfg.get('train_dataloader') or {}).get('dataset'))


def make_batch(clips: int, frames: int, size: Tuple[int, int], device: str,
               seed: int = 0, instance_targets: Optional[dict] = None) -> dict:
    """Random clips (uint8 frames, log-mels, elliptic ground truth), already on ``device``.

    Args:
        clips (int): Clips in the batch.
        frames (int): Frames per clip ``T``.
        size (tuple[int, int]): ``(h, w)`` of the frames.
        device (str): Where the tensors go.
        seed (int): Seed of the random content. Defaults to 0.
        instance_targets (dict, optional): a ``ClipInstanceTargets`` config; when given, the
            samples also carry its instance maps, as the training pipeline packs them.

    Returns:
        dict: ``inputs`` (``frames``: uint8 ``[T, 3, h, w]`` per clip, ``audio_log_mel``:
        ``[T, 1, 96, 64]`` per clip) and ``data_samples`` (:class:`AVSDataSample` with
        ``gt_sem_seg`` ``[T, h, w]``), as a data loader gives them to ``train_step``.
    """
    labeller = TRANSFORMS.build(instance_targets) if instance_targets else None
    g = torch.Generator().manual_seed(seed)
    h, w = size
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    inputs = dict(frames=[], audio_log_mel=[])
    samples = []
    for _ in range(clips):
        log_mel = torch.randn(frames, 1, 96, 64, generator=g)
        gt = torch.zeros(frames, h, w, dtype=torch.uint8)
        for t in range(frames):
            cy, cx, ry, rx = (torch.rand(4, generator=g) * torch.tensor([h, w, h / 3, w / 3]))
            gt[t] = (((yy - cy) / (ry + 4))**2 + ((xx - cx) / (rx + 4))**2 <= 1).to(torch.uint8)
        sample = AVSDataSample(metainfo=dict(gt_valid=[True] * frames, num_frames=frames,
                                             img_shape=size))
        sample.gt_sem_seg = PixelData(data=gt.to(device))
        if labeller is not None:
            results = labeller(dict(gt_masks=gt.numpy(), gt_valid=[True] * frames))
            pack_instance_targets(results, sample, tuple(gt.shape))
            sample = sample.to(device)
        samples.append(sample)
        inputs['frames'].append(
            torch.randint(0, 256, (frames, 3, h, w), generator=g, dtype=torch.uint8).to(device))
        inputs['audio_log_mel'].append(log_mel.to(device))
    return dict(inputs=inputs, data_samples=samples)
