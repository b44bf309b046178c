"""Write the VGGish log-mel cache (``.npy``, ``[T, 1, 96, 64]`` float32) of an AVSBench subset.

How the features are computed and where they go: ``projects.transavs.datasets.log_mel_cache``
(equal to training from the wavs; train with ``LoadAudioLogMel(source='npy')``).

Existing files are kept unless ``--overwrite``. Files are written atomically, so an
interrupted run leaves no partial ``.npy``. The exit status is 1 if any clip failed and 2
if the meta CSV could not be read. The extraction is
``projects.transavs.datasets.log_mel_cache``; this is its command line.

Examples::

    python tools/extract_log_mel.py --data-root data/AVSBench/Single-source --subset s4
    python tools/extract_log_mel.py --data-root data/AVSBench/Multi-sources --subset ms3 \\
        --splits test --cache-root /fast/disk/avsbench_cache --overwrite
"""
import argparse
import sys
from typing import List, Optional

from projects.transavs.datasets import avsbench_layout as layout
from projects.transavs.datasets.log_mel_cache import list_log_mel_clips, write_log_mel_cache


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


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the extraction; returns the exit status.

    0: every clip written or skipped; 1: some clips failed (listed with reasons);
    2: the clips could not be listed (meta CSV missing or malformed).
    """
    args = parse_args(argv)
    cache_root = args.cache_root or args.data_root
    clips = []  # (audio_path, npy_path)
    for split in args.splits:
        try:
            clips += list_log_mel_clips(args.data_root, args.subset, split, cache_root,
                                        args.num_frames)
        except (OSError, ValueError, KeyError) as err:
            print(f'cannot list the {args.subset} {split} clips: {err}', file=sys.stderr)
            return 2

    print(f'{args.subset} {" ".join(args.splits)}: {len(clips)} clips, cache under '
          f'{layout.subset_dir(cache_root, args.subset)}')
    report = write_log_mel_cache(clips, args.num_frames, args.overwrite)
    print(f'written {report.written}, skipped {report.skipped} (already there; --overwrite '
          f'recomputes), failed {len(report.failed)}')
    for note in report.notes:
        print(f'  note: {note}')
    for path, reason in report.failed:
        print(f'  FAILED {path}: {reason}')
    return 1 if report.failed else 0


if __name__ == '__main__':
    sys.exit(main())
