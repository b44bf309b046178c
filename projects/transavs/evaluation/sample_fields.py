"""Reading the fields of an evaluated data sample (``AVSDataSample.to_dict()``) with errors
that name the metric, the video and what was expected; shared by the metrics."""
import os.path as osp
from typing import List

import numpy as np
import torch

__all__ = ['sample_field', 'sample_maps', 'frame_flags', 'safe_join']


def sample_field(data_sample: dict, key: str, owner: str, expected: str):
    """``data_sample[key]``; a missing key is a KeyError naming ``owner``, the video and
    ``expected`` (what the sample should hold)."""
    if key not in data_sample:
        raise KeyError(f'{owner}: the data sample (video {data_sample.get("video_name")!r}) '
                       f'has no {key!r}; expected {expected}')
    return data_sample[key]


def sample_maps(data_sample: dict, key: str, owner: str, expected: str) -> torch.Tensor:
    """The ``[T, H, W]`` tensor of a pixel field (PixelData, its dict, or an array).

    Raises:
        KeyError: the field is missing.
        ValueError: it is not ``[T, H, W]``.
    """
    field = sample_field(data_sample, key, owner, expected)
    data = field['data'] if isinstance(field, dict) else getattr(field, 'data', field)
    if not isinstance(data, torch.Tensor):
        data = torch.as_tensor(np.asarray(data))
    if data.dim() != 3:
        raise ValueError(f'{owner}: {key} of video {data_sample.get("video_name")!r} must '
                         f'be [T, H, W] (one map per frame), got shape {tuple(data.shape)}')
    return data


def frame_flags(data_sample: dict, key: str, num_frames: int, default: bool,
                owner: str) -> List[bool]:
    """A ``[T]`` per-frame flag list of the meta information (``default`` when absent).

    Raises:
        ValueError: the list does not have ``num_frames`` entries.
    """
    value = data_sample.get(key)
    if value is None:
        return [default] * num_frames
    flags = [bool(v) for v in torch.as_tensor(value).flatten().tolist()]
    if len(flags) != num_frames:
        raise ValueError(f'{owner}: video {data_sample.get("video_name")!r}: {key} has '
                         f'{len(flags)} entries for {num_frames} frames')
    return flags


def safe_join(root: str, rel_path: str, owner: str) -> str:
    """``root/rel_path``, refusing paths that leave ``root`` (``owner`` names the caller)."""
    norm = osp.normpath(rel_path)
    if osp.isabs(rel_path) or norm == '..' or norm.startswith('..' + osp.sep):
        raise ValueError(f'{owner}: mask_rel_paths entry {rel_path!r} must be a relative '
                         'path inside the mask folder')
    return osp.join(root, norm)
