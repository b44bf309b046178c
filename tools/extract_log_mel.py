"""Write the VGGish log-mel cache (``.npy``, ``[T, 1, 96, 64]`` float32) of an AVSBench subset.

The features are computed from the wavs exactly as training from wav does
(:class:`LoadAudioWaveform` + :class:`WaveformToLogMel`, clips shorter than T examples padded
by repeating the last one, as AVSBench v1's official ``.pkl`` files were), and written to
``{cache_root}/{subset}_data/audio_log_mel_npy/...`` (``avsbench_layout.log_mel_npy_path``).
Train with them through ``LoadAudioLogMel(source='npy')`` and the dataset's
``log_mel_cache_root``. The clips come from the subset's meta CSV, read by the AVSBench
dataset classes (video name = first column, ``split`` and, for S4, ``category`` by name).

Existing files are kept unless ``--overwrite``. Files are written atomically, so an
interrupted run leaves no partial ``.npy``. The exit status is 1 if any clip failed and 2
if the meta CSV could not be read.

Examples::

    python tools/extract_log_mel.py --data-root data/AVSBench/Single-source --subset s4
    python tools/extract_log_mel.py --data-root data/AVSBench/Multi-sources --subset ms3 \\
        --splits test --cache-root /fast/disk/avsbench_cache --overwrite
"""
import argparse
import os
import os.path as osp
import sys
import warnings
from typing import List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # the repo root

import numpy as np  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

from projects.transavs.datasets import avsbench_layout as layout  # noqa: E402
from projects.transavs.datasets.avsbench_ms3 import AVSBenchMS3Dataset  # noqa: E402
from projects.transavs.datasets.avsbench_s4 import AVSBenchS4Dataset  # noqa: E402
from projects.transavs.datasets.transforms.audio import (  # noqa: E402
    LoadAudioWaveform,
    WaveformToLogMel,
)

DATASETS = {'s4': AVSBenchS4Dataset, 'ms3': AVSBenchMS3Dataset}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write the VGGish log-mel .npy cache of an AVSBench subset from its wavs')
    parser.add_argument('--data-root', required=True,
                        help='the subset root, e.g. data/AVSBench/Single-source')
    parser.add_argument('--subset', required=True, choices=layout.SUBSETS)
    parser.add_argument('--splits', nargs='+', default=list(layout.SPLITS),
                        choices=layout.SPLITS, help='splits to process (default: all)')
    parser.add_argument('--cache-root', default=None,
                        help='where to write the cache (default: --data-root)')
    parser.add_argument('--num-frames', type=int, default=5,
                        help='examples per clip T (default: 5, AVSBench v1)')
    parser.add_argument('--overwrite', action='store_true',
                        help='recompute files that already exist')
    return parser.parse_args(argv)


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


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the extraction; returns the exit status.

    0: every clip written or skipped; 1: some clips failed (listed with reasons);
    2: the clips could not be listed (meta CSV missing or malformed).
    """
    args = parse_args(argv)
    cache_root = args.cache_root or args.data_root
    load_wave = LoadAudioWaveform()
    to_log_mel = WaveformToLogMel(num_examples=args.num_frames, pad_mode='repeat')

    clips = []  # (audio_path, npy_path)
    for split in args.splits:
        try:
            dataset = DATASETS[args.subset](
                data_root=args.data_root, split=split, num_frames=args.num_frames,
                log_mel_cache_root=cache_root, serialize_data=False)
        except (OSError, ValueError, KeyError) as err:
            print(f'cannot list the {args.subset} {split} clips: {err}', file=sys.stderr)
            return 2
        clips += [(info['audio_path'], info['log_mel_cache_path'])
                  for info in (dataset.get_data_info(i) for i in range(len(dataset)))]

    written, skipped = 0, 0
    failed: List[Tuple[str, str]] = []
    notes: List[str] = []
    print(f'{args.subset} {" ".join(args.splits)}: {len(clips)} clips, cache under '
          f'{layout.subset_dir(cache_root, args.subset)}')
    progress = ProgressBar(len(clips), file=sys.stdout)
    for audio_path, npy_path in clips:
        if osp.isfile(npy_path) and not args.overwrite:
            skipped += 1
        else:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter('always')
                    results = to_log_mel(load_wave(dict(audio_path=audio_path)))
                notes += [str(w.message) for w in caught]
                _save_atomic(npy_path, results['audio_log_mel'].numpy())  # [T, 1, 96, 64]
                written += 1
            except Exception as err:  # report every clip, go on with the others
                failed.append((audio_path, f'{type(err).__name__}: {err}'))
        progress.update()
    print()
    print(f'written {written}, skipped {skipped} (already there; --overwrite recomputes), '
          f'failed {len(failed)}')
    for note in notes:
        print(f'  note: {note}')
    for path, reason in failed:
        print(f'  FAILED {path}: {reason}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
