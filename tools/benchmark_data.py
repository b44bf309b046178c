"""Throughput of the AVSBench data pipeline: clips per second per worker, by audio source.

Runs the test pipeline of a config (frames + masks + audio + packing) in this process (what
one dataloader worker does) with the audio read three ways: from the wav (VGGish frontend on
the fly), from the official log-mel ``.pkl`` (restricted unpickling) and from the ``.npy``
cache of ``tools/extract_log_mel.py``. Without ``--data-root`` a small synthetic S4 set is
generated in a temporary folder first.

Usage::

    python tools/benchmark_data.py [--config configs/transavs_r50_s4.py] [--data-root DIR]
        [--subset s4] [--split test] [--clips 64] [--size 224]
"""
import argparse
import copy
import os.path as osp
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # the repo root

from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmseg.registry import DATASETS  # noqa: E402
from prettytable import PrettyTable  # noqa: E402

import projects.transavs  # noqa: E402,F401
from tools import extract_log_mel, make_synthetic_avsbench  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SOURCES = {
    'wav (frontend on the fly)': [dict(type='LoadAudioWaveform'), dict(type='WaveformToLogMel')],
    'pkl (official log-mel)': [dict(type='LoadAudioLogMel', source='pkl')],
    'npy (our cache)': [dict(type='LoadAudioLogMel', source='npy')],
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Data pipeline throughput per worker')
    parser.add_argument('--config', default=osp.join(ROOT, 'configs', 'transavs_r50_s4.py'))
    parser.add_argument('--data-root', help='an AVSBench subset root (default: synthetic)')
    parser.add_argument('--subset', default='s4', choices=('s4', 'ms3'))
    parser.add_argument('--split', default='test')
    parser.add_argument('--clips', type=int, default=64, help='clips timed per source')
    parser.add_argument('--size', type=int, default=224, help='synthetic frame size')
    return parser.parse_args(argv)


def pipeline_for(test_pipeline, audio_steps):
    """The config's test pipeline with its audio loading replaced by ``audio_steps``."""
    steps = [s for s in copy.deepcopy(test_pipeline)
             if s['type'] not in ('LoadAudioLogMel', 'LoadAudioWaveform', 'WaveformToLogMel')]
    pack = next(i for i, s in enumerate(steps) if s['type'] == 'PackAVSInputs')
    return steps[:pack] + copy.deepcopy(audio_steps) + steps[pack:]


def measure(data_root, cache_root, subset, split, test_pipeline, clips):
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


def main(argv=None):
    args = parse_args(argv)
    init_default_scope('mmseg')
    cfg = Config.fromfile(args.config)
    test_pipeline = cfg.test_dataloader.dataset.pipeline
    with tempfile.TemporaryDirectory() as tmp:
        data_root = args.data_root
        if data_root is None:
            data_root = osp.join(tmp, args.subset)
            make_synthetic_avsbench.main([
                '--out', data_root, '--subset', args.subset, '--videos', str(args.clips),
                '--splits', args.split, '--size', str(args.size), '--seed', '0'])
        cache_root = osp.join(tmp, 'cache')  # never written into the user's data root
        status = extract_log_mel.main(['--data-root', data_root, '--subset', args.subset,
                                       '--splits', args.split, '--cache-root', cache_root])
        if status:
            raise RuntimeError(f'extract_log_mel failed on {data_root}')
        rows = measure(data_root, cache_root, args.subset, args.split, test_pipeline,
                       args.clips)
    table = PrettyTable(['audio source', 'clips', 'seconds', 'clips/s per worker'])
    for name, count, seconds, rate in rows:
        table.add_row([name, count, f'{seconds:.2f}', f'{rate:.1f}'])
    print(f'\n{args.subset} {args.split}, pipeline of {osp.basename(args.config)} '
          '(frames + masks + audio + packing), one process:')
    print(table)
    return rows


if __name__ == '__main__':
    main()
