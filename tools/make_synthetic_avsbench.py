"""Write a small synthetic AVSBench data set in the exact on-disk layout: a v1 subset (S4 or
MS3) or an AVSBench-semantic tree (``--subset avss``: v1s, v1m and v2 clips).

Every category has its own look (a shape and a colour) and its own sound (a chord of
harmonics at category-specific frequencies with a category-specific amplitude modulation).
A clip shows its sounding object(s) plus silent distractor objects of other categories on a
textured, noisy background; the ground truth covers ONLY the sounding objects, so a model
has to use the audio to be right:

- S4: exactly one sounding object (the clip's category) and 0-2 silent distractors.
- MS3: 2-3 sounding objects (the audio is the mix of their sounds) and 1-2 silent distractors.
- AVSS v1s: one sounding object, 0-2 distractors; v1m: 2-3 sounding objects, v2: 1-3 (both
  with 1-2 distractors). The categories are the first ``--num-categories`` AVSBench-semantic
  classes (accordion, airplane, ...).

(``--distractors MIN MAX`` and, for MS3, ``--sounding MIN MAX`` change these ranges.)

S4 / MS3: each video gets 5 frames (PNG, ``--size`` square), 0/255 single-channel masks (S4
train: only frame 1), a 5 s 16 kHz mono wav and the ``[5, 1, 96, 64]`` VGGish log-mel
``.pkl`` computed from that wav; paths from ``projects/transavs/datasets/avsbench_layout.py``.
``--out`` is the subset's ``data_root`` (the folder holding ``s4_meta_data.csv``).

AVSS: ``metadata.csv`` (vid, uid, s_min, s_sec, a_obj, split, label; ``a_obj`` = the sounding
classes joined by ``_``), ``label2idx.json`` (the 71 classes) and per clip JPEG frames
(``--frame-size W H``, default 160 120), ``labels_rgb`` palette PNGs (v1s train: frame 0
only) and a 16 kHz mono ``audio.wav`` of 5 s (v1s, v1m; 5 frames) or 10 s (v2; 10 frames);
paths from ``projects/transavs/datasets/avsbench_semantic_layout.py``. ``--out`` is the
release root.

The output is deterministic for a seed. The generator is
``projects.transavs.datasets.synthetic`` (``generate_dataset``,
``generate_semantic_dataset``); this is its command line.

Examples::

    python tools/make_synthetic_avsbench.py --out data/synthetic/Single-source \\
        --subset s4 --videos 20 --seed 0
    python tools/make_synthetic_avsbench.py --out data/synthetic/Multi-sources \\
        --subset ms3 --videos 8 --seed 1 --splits train test --num-categories 8
    python tools/make_synthetic_avsbench.py --out data/synthetic/AVSBench-semantic \\
        --subset avss --splits train test --videos 16 4 --avss-videos v1m 8 4 \\
        --frame-size 128 96 --num-categories 6

``--videos`` is the number of videos per split (one number, or one per split); for AVSS it
applies to every subset of ``--avss-subsets`` unless ``--avss-videos SUBSET N [N ...]``
gives that subset its own counts (0 allowed, at least one clip per subset). Names are
``syn_{subset}_{index:06d}`` with the index counted (per subset) over the written splits in
the order train, val, test.
"""
import argparse
from typing import List

from projects.transavs.datasets import avsbench_layout as layout
from projects.transavs.datasets import avsbench_semantic_layout as semantic_layout
from projects.transavs.datasets.synthetic import (
    CATEGORIES,
    DEFAULT_FRAME_SIZE,
    SEMANTIC_CATEGORIES,
    VideoPlan,
    check_semantic_arguments,
    generate_dataset,
    generate_semantic_dataset,
)

AVSS = 'avss'
_DEFAULT_CATEGORIES = {'s4': 5, 'ms3': 5, AVSS: 6}


def _avss_videos(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict:
    """The ``videos`` argument of ``generate_semantic_dataset`` from the flags."""
    own = {}
    for item in args.avss_videos or []:
        subset, counts = item[0], item[1:]
        if subset not in args.avss_subsets or subset in own or not counts:
            parser.error(f'--avss-videos SUBSET N [N ...]: SUBSET must be one of --avss-subsets '
                         f'{args.avss_subsets}, once, with counts; got {" ".join(item)}')
        try:
            own[subset] = [int(c) for c in counts]
        except ValueError:
            parser.error(f'--avss-videos {subset}: counts must be integers, got {counts}')
    videos = {}
    for subset in args.avss_subsets:
        counts = own.get(subset, args.videos)
        if counts is None:
            parser.error(f'--videos (or --avss-videos {subset} N [N ...]) is required')
        videos[subset] = counts * len(args.splits) if len(counts) == 1 else counts
    return videos


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic AVSBench data set (v1 S4 / MS3 subset, or '
        'AVSBench-semantic with --subset avss) in the official layout')
    parser.add_argument('--out', required=True,
                        help='the subset data_root (where {subset}_meta_data.csv goes); avss: '
                        'the release root (where metadata.csv goes)')
    parser.add_argument('--subset', required=True, choices=layout.SUBSETS + (AVSS, ))
    parser.add_argument('--videos', type=int, nargs='+', default=None,
                        help='videos per split: one number for every split, or one per '
                        'split of --splits (e.g. --videos 64 16 16); avss: per subset')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--splits', nargs='+', default=list(layout.SPLITS),
                        choices=layout.SPLITS)
    parser.add_argument('--size', type=int, default=None,
                        help='s4 / ms3: frame side in pixels (default 224)')
    parser.add_argument('--distractors', type=int, nargs=2, metavar=('MIN', 'MAX'),
                        default=None, help='range of silent distractors per video '
                        '(default: 0 2 for s4 and v1s, 1 2 for ms3, v1m and v2)')
    parser.add_argument('--sounding', type=int, nargs=2, metavar=('MIN', 'MAX'),
                        default=None, help='ms3: range of sounding objects per video '
                        '(default: 2 3)')
    parser.add_argument('--num-categories', type=int, default=None,
                        help=f'use the first K of the {len(CATEGORIES)} S4 categories '
                        f'(default 5) or, for avss, of the {len(SEMANTIC_CATEGORIES)} '
                        'AVSBench-semantic classes (default 6)')
    parser.add_argument('--avss-subsets', nargs='+', default=list(semantic_layout.SEMANTIC_SUBSETS),
                        choices=semantic_layout.SEMANTIC_SUBSETS,
                        help='avss: the subsets to write (default: v1s v1m v2)')
    parser.add_argument('--avss-videos', nargs='+', action='append', default=None,
                        metavar='SUBSET_OR_N',
                        help='avss: SUBSET N [N ...], that subset\'s videos per split instead '
                        'of --videos (repeatable)')
    parser.add_argument('--frame-size', type=int, nargs=2, metavar=('W', 'H'), default=None,
                        help=f'avss: frame width and height in pixels (default '
                        f'{DEFAULT_FRAME_SIZE[0]} {DEFAULT_FRAME_SIZE[1]})')
    args = parser.parse_args(argv)
    if args.num_categories is None:
        args.num_categories = _DEFAULT_CATEGORIES[args.subset]
    args.splits = [s for s in layout.SPLITS if s in args.splits]  # official order, once
    if args.subset == AVSS:
        return _check_avss(parser, args)
    if args.frame_size is not None or args.avss_videos is not None:
        parser.error('--frame-size and --avss-videos are for --subset avss')
    if args.videos is None:
        parser.error('the following arguments are required: --videos')
    args.size = 224 if args.size is None else args.size
    min_categories = 1 if args.subset == 's4' else 3
    if not min_categories <= args.num_categories <= len(CATEGORIES):
        parser.error(f'--num-categories must be in [{min_categories}, {len(CATEGORIES)}] for '
                     f'{args.subset}, got {args.num_categories}')
    if args.sounding is not None and (args.subset != 'ms3' or min(args.sounding) < 2 or
                                      args.sounding[0] > args.sounding[1]):
        parser.error('--sounding MIN MAX is for ms3, with 2 <= MIN <= MAX')
    if len(args.videos) == 1:
        args.videos = args.videos * len(args.splits)
    if len(args.videos) != len(args.splits) or min(args.videos) < 1:
        parser.error(f'--videos needs one count >= 1, or one per split of {args.splits}; '
                     f'got {args.videos}')
    if args.size < 32:
        parser.error(f'--size must be >= 32 pixels, got {args.size}')
    return args


def _check_avss(parser: argparse.ArgumentParser,
                args: argparse.Namespace) -> argparse.Namespace:
    """Checks the flags of ``--subset avss`` as the generator does (usage errors)."""
    if args.size is not None:
        parser.error('--size is for s4 / ms3; use --frame-size W H with --subset avss')
    if args.sounding is not None:
        parser.error('--sounding MIN MAX is for ms3, with 2 <= MIN <= MAX')
    args.avss_subsets = [s for s in semantic_layout.SEMANTIC_SUBSETS if s in args.avss_subsets]
    args.frame_size = tuple(args.frame_size or DEFAULT_FRAME_SIZE)
    args.videos = _avss_videos(parser, args)
    try:
        check_semantic_arguments(args.videos, args.splits, args.seed, args.frame_size,
                                 args.num_categories, args.distractors)
    except ValueError as err:
        parser.error(str(err))
    return args


def main(argv=None) -> List[VideoPlan]:
    """Writes the data set; returns the plans of the videos written."""
    args = parse_args(argv)
    if args.subset == AVSS:
        return generate_semantic_dataset(args.out, args.videos, splits=args.splits,
                                         seed=args.seed, frame_size=args.frame_size,
                                         num_categories=args.num_categories,
                                         distractors=args.distractors)
    return generate_dataset(args.out, args.subset, args.videos, splits=args.splits,
                            seed=args.seed, size=args.size,
                            num_categories=args.num_categories,
                            distractors=args.distractors, sounding=args.sounding)


if __name__ == '__main__':
    main()
