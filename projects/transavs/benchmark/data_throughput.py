"""Throughput of the AVSBench data pipeline: clips per second per worker, by audio source.

Runs a config's test pipeline (frames + masks + audio + packing) in this process (what one
data loader worker does) with the audio read three ways: from the wav (VGGish frontend on the
fly), from the official log-mel ``.pkl`` (restricted unpickling) and from our ``.npy`` cache
(:mod:`projects.transavs.datasets.log_mel_cache`).
"""
import copy
import os.path as osp
import tempfile
import time
from typing import List, Optional, Sequence, Tuple

from mmseg.registry import DATASETS

from ..datasets.log_mel_cache import list_log_mel_clips, write_log_mel_cache
from ..datasets.synthetic import generate_dataset

__all__ = ['SOURCES', 'pipeline_for', 'measure', 'data_pipeline_throughput']

#: audio source name -> the transforms that load the audio
SOURCES = {
    'wav (frontend on the fly)': [dict(type='LoadAudioWaveform'), dict(type='WaveformToLogMel')],
    'pkl (official log-mel)': [dict(type='LoadAudioLogMel', source='pkl')],
    'npy (our cache)': [dict(type='LoadAudioLogMel', source='npy')],
}


def pipeline_for(test_pipeline: Sequence[dict], audio_steps: Sequence[dict]) -> List[dict]:
    """The test pipeline with its audio loading replaced by ``audio_steps``.

    Args:
        test_pipeline (Sequence[dict]): A config's test pipeline (not modified).
        audio_steps (Sequence[dict]): The audio transforms, put before ``PackAVSInputs``.

    Returns:
        list[dict]: The new pipeline.
    """
    steps = [s for s in copy.deepcopy(test_pipeline)
             if s['type'] not in ('LoadAudioLogMel', 'LoadAudioWaveform', 'WaveformToLogMel')]
    pack = next(i for i, s in enumerate(steps) if s['type'] == 'PackAVSInputs')
    return steps[:pack] + copy.deepcopy(audio_steps) + steps[pack:]


def measure(data_root: str, cache_root: str, subset: str, split: str,
            test_pipeline: Sequence[dict], clips: int) -> List[Tuple[str, int, float, float]]:
    """Times the pipeline over the first ``clips`` clips, once per audio source.

    Args:
        data_root (str): The subset's root.
        cache_root (str): Where the ``.npy`` cache is.
        subset (str): 's4' or 'ms3'.
        split (str): The split.
        test_pipeline (Sequence[dict]): A config's test pipeline.
        clips (int): Clips timed per source (at most the split's).

    Returns:
        list[tuple[str, int, float, float]]: ``(source, clips, seconds, clips per second)``
        in the order of :data:`SOURCES`.
    """
    dataset_type = 'AVSBenchS4Dataset' if subset == 's4' else 'AVSBenchMS3Dataset'
    rows = []
    for name, audio_steps in SOURCES.items():
        dataset = DATASETS.build(dict(type=dataset_type, data_root=data_root, split=split,
                                      log_mel_cache_root=cache_root,
                                      pipeline=pipeline_for(test_pipeline, audio_steps)))
        count = min(clips, len(dataset))
        dataset[0]  # warm-up (imports, caches)
        start = time.perf_counter()
        for i in range(count):
            dataset[i % len(dataset)]
        seconds = time.perf_counter() - start
        rows.append((name, count, seconds, count / seconds))
    return rows


def data_pipeline_throughput(test_pipeline: Sequence[dict], data_root: Optional[str] = None,
                             subset: str = 's4', split: str = 'test', clips: int = 64,
                             size: int = 224) -> List[Tuple[str, int, float, float]]:
    """:func:`measure` on a data set, with its ``.npy`` cache written to a temporary folder.

    Args:
        test_pipeline (Sequence[dict]): A config's test pipeline.
        data_root (str, optional): An AVSBench subset root; without it a synthetic set of
            ``clips`` videos (seed 0) is generated in a temporary folder first.
        subset (str): 's4' or 'ms3'. Defaults to 's4'.
        split (str): The split. Defaults to 'test'.
        clips (int): Clips timed per source. Defaults to 64.
        size (int): Synthetic frame size. Defaults to 224.

    Returns:
        list[tuple[str, int, float, float]]: As :func:`measure`.

    Raises:
        RuntimeError: the cache could not be written for some clip.
    """
    with tempfile.TemporaryDirectory() as tmp:
        if data_root is None:
            data_root = osp.join(tmp, subset)
            generate_dataset(data_root, subset, clips, splits=[split], seed=0, size=size)
        cache_root = osp.join(tmp, 'cache')  # never written into the user's data root
        report = write_log_mel_cache(list_log_mel_clips(data_root, subset, split, cache_root))
        if report.failed:
            raise RuntimeError(f'the log-mel cache of {data_root} failed: {report.failed[0]}')
        return measure(data_root, cache_root, subset, split, test_pipeline, clips)
