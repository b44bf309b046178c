"""The VGGish log-mel cache (``.npy``, ``[T, 1, 96, 64]`` float32) of an AVSBench subset.

The features are computed from the wavs exactly as training from wav does
(:class:`LoadAudioWaveform` + :class:`WaveformToLogMel`, clips shorter than T examples padded
by repeating the last one, as AVSBench v1's official ``.pkl`` files were), and written to
``{cache_root}/{subset}_data/audio_log_mel_npy/...`` (``avsbench_layout.log_mel_npy_path``).
Train with them through ``LoadAudioLogMel(source='npy')`` and the dataset's
``log_mel_cache_root``. The clips come from the subset's meta CSV, read by the AVSBench
dataset classes. ``tools/extract_log_mel.py`` is the command line.
"""
import os
import os.path as osp
import sys
import warnings
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import ProgressBar

from .avsbench_ms3 import AVSBenchMS3Dataset
from .avsbench_s4 import AVSBenchS4Dataset
from .transforms.audio import LoadAudioWaveform, WaveformToLogMel

__all__ = ['LogMelCacheReport', 'list_log_mel_clips', 'write_log_mel_cache']

_DATASETS = {'s4': AVSBenchS4Dataset, 'ms3': AVSBenchMS3Dataset}


@dataclass
class LogMelCacheReport:
    """What :func:`write_log_mel_cache` did.

    Args:
        written (int): Files computed and written.
        skipped (int): Files already there (kept).
        failed (list[tuple[str, str]]): ``(audio path, reason)`` of each clip that failed.
        notes (list[str]): Warnings raised while computing (e.g. short clips zero-padded).
    """
    written: int = 0
    skipped: int = 0
    failed: List[Tuple[str, str]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def list_log_mel_clips(data_root: str, subset: str, split: str,
                       cache_root: Optional[str] = None,
                       num_frames: int = 5) -> List[Tuple[str, str]]:
    """The clips of one split and where their cache files go.

    Args:
        data_root (str): The subset's root, e.g. ``data/AVSBench/Single-source``.
        subset (str): 's4' or 'ms3'.
        split (str): 'train', 'val' or 'test'.
        cache_root (str, optional): Where the cache goes. Defaults to ``data_root``.
        num_frames (int): Examples per clip ``T``. Defaults to 5 (AVSBench v1).

    Returns:
        list[tuple[str, str]]: ``(audio path, npy path)`` per clip, in CSV order.

    Raises:
        OSError | ValueError | KeyError: the meta CSV is missing or malformed.
    """
    dataset = _DATASETS[subset](
        data_root=data_root, split=split, num_frames=num_frames,
        log_mel_cache_root=data_root if cache_root is None else cache_root,
        serialize_data=False,
        check_files=False)  # only the wavs are read, and a missing one fails alone
    return [(info['audio_path'], info['log_mel_cache_path'])
            for info in (dataset.get_data_info(i) for i in range(len(dataset)))]


def _save_atomic(path: str, array: np.ndarray) -> None:
    """``np.save`` through a temporary file in the same folder, then a rename."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    try:
        with open(tmp, 'wb') as f:
            np.save(f, array, allow_pickle=False)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def write_log_mel_cache(clips: Sequence[Tuple[str, str]], num_examples: int = 5,
                        overwrite: bool = False, progress: bool = True) -> LogMelCacheReport:
    """Computes and writes the cache file of each clip; a failing clip does not stop the rest.

    Files are written atomically, so an interruption leaves no partial ``.npy``.

    Args:
        clips (Sequence[tuple[str, str]]): ``(audio path, npy path)`` pairs, e.g. from
            :func:`list_log_mel_clips`.
        num_examples (int): Log-mel examples per clip ``T`` (one per second). Defaults to
            5 (AVSBench v1).
        overwrite (bool): Recompute files that already exist. Defaults to False.
        progress (bool): Show a progress bar on stdout. Defaults to True.

    Returns:
        LogMelCacheReport: Counts, failures (with reasons) and notes.
    """
    load_wave = LoadAudioWaveform()
    to_log_mel = WaveformToLogMel(num_examples=num_examples, pad_mode='repeat')
    report = LogMelCacheReport()
    bar = ProgressBar(len(clips), file=sys.stdout) if progress else None
    for audio_path, npy_path in clips:
        if osp.isfile(npy_path) and not overwrite:
            report.skipped += 1
        else:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter('always')
                    results = to_log_mel(load_wave(dict(audio_path=audio_path)))
                report.notes += [str(w.message) for w in caught]
                _save_atomic(npy_path, results['audio_log_mel'].numpy())  # [T, 1, 96, 64]
                report.written += 1
            except Exception as err:  # report every clip, go on with the others
                report.failed.append((audio_path, f'{type(err).__name__}: {err}'))
        if bar is not None:
            bar.update()
    if progress:
        print()
    return report
