"""Write a small synthetic AVSBench v1 subset (S4 or MS3) in the exact on-disk layout.

Every category has its own look (a shape and a colour) and its own sound (a chord of
harmonics at category-specific frequencies with a category-specific amplitude modulation).
A clip shows its sounding object(s) plus silent distractor objects of other categories on a
textured, noisy background; the ground-truth masks cover ONLY the sounding objects, so a model
has to use the audio to be right:

- S4: exactly one sounding object (the clip's category) and 0-2 silent distractors.
- MS3: 2-3 sounding objects (the audio is the mix of their sounds) and 1-2 silent distractors.

(``--distractors MIN MAX`` and, for MS3, ``--sounding MIN MAX`` change these ranges.)

Objects move and turn a little over the 5 frames. Each video gets 5 frames (PNG), 0/255
single-channel masks (S4 train: only frame 1), a 5 s 16 kHz mono wav and the ``[5, 1, 96, 64]``
VGGish log-mel ``.pkl`` computed from that wav. Paths come from
``projects/transavs/datasets/avsbench_layout.py``. The output is deterministic for a seed.
The generator is ``projects.transavs.datasets.synthetic`` (``generate_dataset``); this is its
command line.

Examples::

    python tools/make_synthetic_avsbench.py --out data/synthetic/Single-source \\
        --subset s4 --videos 20 --seed 0
    python tools/make_synthetic_avsbench.py --out data/synthetic/Multi-sources \\
        --subset ms3 --videos 8 --seed 1 --splits train test --num-categories 8

``--out`` is the subset's ``data_root`` (the folder holding ``s4_meta_data.csv``), and
``--videos`` is the number of videos per split (one number, or one per split). Names are
``syn_{subset}_{index:06d}`` with the index counted over the written splits in the order
train, val, test.
"""
import argparse
from typing import List

from projects.transavs.datasets import avsbench_layout as layout
from projects.transavs.datasets.synthetic import CATEGORIES, VideoPlan, generate_dataset


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic AVSBench v1 subset in the official layout')
    parser.add_argument('--out', required=True,
                        help='the subset data_root (where {subset}_meta_data.csv goes)')
    parser.add_argument('--subset', required=True, choices=layout.SUBSETS)
    parser.add_argument('--videos', type=int, nargs='+', required=True,
                        help='videos per split: one number for every split, or one per '
                        'split of --splits (e.g. --videos 64 16 16)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--splits', nargs='+', default=list(layout.SPLITS),
                        choices=layout.SPLITS)
    parser.add_argument('--size', type=int, default=224, help='frame side in pixels')
    parser.add_argument('--distractors', type=int, nargs=2, metavar=('MIN', 'MAX'),
                        default=None, help='range of silent distractors per video '
                        '(default: 0 2 for s4, 1 2 for ms3)')
    parser.add_argument('--sounding', type=int, nargs=2, metavar=('MIN', 'MAX'),
                        default=None, help='ms3: range of sounding objects per video '
                        '(default: 2 3)')
    parser.add_argument('--num-categories', type=int, default=5,
                        help=f'use the first K of the {len(CATEGORIES)} S4 categories')
    args = parser.parse_args(argv)
    min_categories = 1 if args.subset == 's4' else 3
    if not min_categories <= args.num_categories <= len(CATEGORIES):
        parser.error(f'--num-categories must be in [{min_categories}, {len(CATEGORIES)}] for '
                     f'{args.subset}, got {args.num_categories}')
    args.splits = [s for s in layout.SPLITS if s in args.splits]  # official order, once
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


def main(argv=None) -> List[VideoPlan]:
    """Writes the data set; returns the plans of the videos written."""
    args = parse_args(argv)
    return generate_dataset(args.out, args.subset, args.videos, splits=args.splits,
                            seed=args.seed, size=args.size,
                            num_categories=args.num_categories,
                            distractors=args.distractors, sounding=args.sounding)


if __name__ == '__main__':
    main()
