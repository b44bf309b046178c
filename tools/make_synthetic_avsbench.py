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
import colorsys
import csv
import math
import os
import os.path as osp
import pickle
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # the repo root

import cv2  # noqa: E402
import mmcv  # noqa: E402
import numpy as np  # noqa: E402
import soundfile  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

from projects.transavs.datasets import avsbench_layout as layout  # noqa: E402
from projects.transavs.datasets.transforms.vggish_frontend import (  # noqa: E402
    pad_or_crop_examples,
    waveform_to_examples,
)

__all__ = [
    'CATEGORIES', 'SHAPES', 'NUM_FRAMES', 'SAMPLE_RATE', 'CLIP_SECONDS', 'ObjectPlan',
    'VideoPlan', 'category_colour', 'category_shape', 'category_sound_params', 'plan_video',
    'plan_dataset', 'render_frames', 'render_audio', 'write_video', 'write_meta_csv', 'main'
]

# The 23 AVSBench S4 categories, in the official (alphabetical) order.
CATEGORIES = (
    'ambulance_siren', 'baby_laughter', 'cap_gun_shooting', 'cat_meowing', 'chainsawing_trees',
    'coyote_howling', 'dog_barking', 'driving_buses', 'female_singing', 'helicopter',
    'horse_clip-clop', 'lawn_mowing', 'lions_roaring', 'male_speech', 'mynah_bird_singing',
    'playing_acoustic_guitar', 'playing_glockenspiel', 'playing_piano', 'playing_tabla',
    'playing_ukulele', 'playing_violin', 'race_car', 'typing_on_computer_keyboard')
SHAPES = ('circle', 'square', 'triangle', 'star', 'cross', 'ring', 'hexagon', 'ellipse',
          'diamond', 'crescent', 'pentagon', 'kite')
NUM_FRAMES = 5
SAMPLE_RATE = 16000
CLIP_SECONDS = 5
_GOLDEN = (math.sqrt(5) - 1) / 2  # spreads hues / pitches of consecutive categories apart
# Partial frequency ratios (harmonic, fifths, bell-like, odd) and their amplitudes.
_PARTIALS = (((1.0, 2.0, 3.0), (1.0, 0.5, 0.3)), ((1.0, 1.5, 2.0), (1.0, 0.7, 0.4)),
             ((1.0, 2.76, 5.4), (1.0, 0.6, 0.35)), ((1.0, 3.0, 5.0), (1.0, 0.45, 0.25)))


# ---------------------------------------------------------------------- category identities
def category_colour(index: int) -> Tuple[int, int, int]:
    """The RGB colour of category ``index`` (saturated; hues spread by the golden ratio)."""
    hue = (index * _GOLDEN) % 1.0
    value = 0.95 if index % 2 == 0 else 0.8
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(hue, 0.85, value))


def category_shape(index: int) -> str:
    """The shape of category ``index``."""
    return SHAPES[index % len(SHAPES)]


def category_sound_params(index: int) -> Dict[str, object]:
    """The tonal signature of category ``index``.

    Returns:
        dict: ``freqs`` (Hz of the partials), ``amps`` (their amplitudes), ``am_rate`` (Hz of
        the amplitude modulation) and ``am_depth`` (in [0, 1)).
    """
    f0 = 180.0 * 10.0 ** ((index * _GOLDEN) % 1.0)  # 180 .. 1800 Hz
    ratios, amps = _PARTIALS[index % len(_PARTIALS)]
    return dict(freqs=tuple(f0 * r for r in ratios), amps=amps,
                am_rate=1.0 + ((index * 0.37) % 1.0) * 7.0,
                am_depth=0.3 + 0.6 * ((index * 0.53) % 1.0))


# ---------------------------------------------------------------------- plans
@dataclass
class ObjectPlan:
    """One object of a clip; geometry in fractions of the frame size.

    Args:
        category (str): Its category. ``sounding`` (bool): whether it makes the clip's sound.
        centre (tuple): ``(x, y)`` at frame 1; ``velocity`` (tuple): ``(dx, dy)`` per frame.
        radius (float): Half its extent; ``angle`` (float): rotation at frame 1 (radians);
        ``spin`` (float): rotation per frame.
    """
    category: str
    sounding: bool
    centre: Tuple[float, float]
    velocity: Tuple[float, float]
    radius: float
    angle: float
    spin: float


@dataclass
class VideoPlan:
    """What one synthetic video contains.

    Args:
        name (str): The video name. ``split`` (str), ``subset`` (str).
        category (str | None): S4: the sounding category (the CSV's category); MS3: None.
        index (int): The global video index. ``seed`` (int): The data-set seed.
        objects (list[ObjectPlan]): In drawing order (later objects occlude earlier ones).
        start_time (int): The CSV filler column.
    """
    name: str
    split: str
    subset: str
    category: Optional[str]
    index: int
    seed: int
    objects: List[ObjectPlan] = field(default_factory=list)
    start_time: int = 0

    @property
    def sounding_categories(self) -> List[str]:
        return [o.category for o in self.objects if o.sounding]

    def rng(self, stream: int) -> np.random.Generator:
        """An independent generator per video and purpose (0: plan, 1: frames, 2: audio)."""
        return np.random.default_rng([self.seed, layout.SUBSETS.index(self.subset),
                                      self.index, stream])


def _place_objects(rng: np.random.Generator, count: int) -> List[Tuple[float, float, float]]:
    """``(x, y, radius)`` for ``count`` objects that overlap little."""
    placed = []
    for _ in range(count):
        radius = rng.uniform(0.11, 0.17) if count < 4 else rng.uniform(0.09, 0.14)
        for attempt in range(60):
            if attempt % 15 == 14:  # crowded: try a smaller object
                radius *= 0.85
            x, y = rng.uniform(radius + 0.04, 1 - radius - 0.04, size=2)
            if all(math.hypot(x - px, y - py) > (radius + pr) * 0.95 for px, py, pr in placed):
                break
        placed.append((x, y, radius))
    return placed


def plan_video(subset: str, split: str, index: int, seed: int,
               categories: Sequence[str],
               distractors: Optional[Tuple[int, int]] = None,
               sounding: Optional[Tuple[int, int]] = None) -> VideoPlan:
    """The content of video ``index`` of a synthetic data set (deterministic).

    Args:
        subset (str): 's4' or 'ms3'.
        split (str): 'train', 'val' or 'test'.
        index (int): The global video index (names ``syn_{subset}_{index:06d}``).
        seed (int): The data-set seed.
        categories (Sequence[str]): The categories in use (a prefix of :data:`CATEGORIES`).
        distractors (tuple[int, int], optional): The range (inclusive) of the number of silent
            distractors; defaults to (0, 2) for S4 and (1, 2) for MS3. Capped by the
            categories left over.
        sounding (tuple[int, int], optional): MS3 only: the range (inclusive) of the number
            of sounding objects, at least 2; defaults to (2, 3).

    Returns:
        VideoPlan: Its name, split, S4 category and objects.
    """
    num = len(categories)
    plan = VideoPlan(name=f'syn_{subset}_{index:06d}', split=split, subset=subset,
                     category=None, index=index, seed=seed)
    rng = plan.rng(0)
    low, high = distractors or ((0, 2) if subset == 's4' else (1, 2))
    if subset == 's4':
        sounding = [categories[(index + seed) % num]]  # balanced over categories
        plan.category = sounding[0]
    else:
        low_s, high_s = sounding or (2, 3)
        num_sounding = int(rng.integers(low_s, min(high_s, num - 1) + 1))
        sounding = list(rng.choice(categories, size=num_sounding, replace=False))
    spare = num - len(sounding)
    num_distractors = int(rng.integers(min(low, spare), min(high, spare) + 1))
    others = [c for c in categories if c not in sounding]
    distractors = list(rng.choice(others, size=num_distractors, replace=False))
    cats = [(c, True) for c in sounding] + [(c, False) for c in distractors]
    order = rng.permutation(len(cats))  # drawing order
    places = _place_objects(rng, len(cats))
    for k, (x, y, radius) in zip(order, places):
        category, is_sounding = cats[k]
        plan.objects.append(ObjectPlan(
            category=str(category), sounding=is_sounding, centre=(x, y),
            velocity=tuple(rng.uniform(-0.012, 0.012, size=2)), radius=radius,
            angle=rng.uniform(0, 2 * math.pi), spin=rng.uniform(-0.15, 0.15)))
    plan.start_time = int(rng.integers(0, 300))
    return plan


def plan_dataset(subset: str, splits: Sequence[str], videos_per_split: Sequence[int],
                 seed: int, num_categories: int,
                 distractors: Optional[Tuple[int, int]] = None,
                 sounding: Optional[Tuple[int, int]] = None) -> List[VideoPlan]:
    """The plans of every video, split by split (train, val, test order of indices).

    ``videos_per_split`` has one count per split of ``splits``. Video indices run on across
    the splits, so names are unique in the subset.
    """
    categories = CATEGORIES[:num_categories]
    plans, offset = [], 0
    for split, count in zip(splits, videos_per_split):
        plans.extend(plan_video(subset, split, offset + i, seed, categories, distractors,
                                sounding) for i in range(count))
        offset += count
    return plans


# ---------------------------------------------------------------------- rendering
def _shape_mask(shape: str, size: int, cx: float, cy: float, r: float,
                angle: float) -> np.ndarray:
    """A bool ``[size, size]`` mask of one shape centred at ``(cx, cy)`` pixels."""
    canvas = np.zeros((size, size), np.uint8)
    centre = (int(round(cx)), int(round(cy)))

    if shape == 'circle':
        cv2.circle(canvas, centre, int(round(r)), 1, -1)
    elif shape == 'ring':
        cv2.circle(canvas, centre, int(round(r)), 1, -1)
        cv2.circle(canvas, centre, int(round(0.5 * r)), 0, -1)
    elif shape == 'crescent':
        cv2.circle(canvas, centre, int(round(r)), 1, -1)
        off = (int(round(cx + 0.45 * r * math.cos(angle))),
               int(round(cy + 0.45 * r * math.sin(angle))))
        cv2.circle(canvas, off, int(round(0.8 * r)), 0, -1)
    elif shape == 'ellipse':
        cv2.ellipse(canvas, centre, (int(round(r)), int(round(0.5 * r))),
                    math.degrees(angle), 0, 360, 1, -1)
    elif shape == 'cross':  # a plus with arms of half-width 0.28 r
        w = 0.28 * r
        base = np.array([[w, r], [w, w], [r, w], [r, -w], [w, -w], [w, -r], [-w, -r],
                         [-w, -w], [-r, -w], [-r, w], [-w, w], [-w, r]])
        rot = np.array([[math.cos(angle), -math.sin(angle)],
                        [math.sin(angle), math.cos(angle)]])
        cv2.fillPoly(canvas, [np.round(base @ rot.T + [cx, cy]).astype(np.int32)], 1)
    else:  # star-shaped polygons: vertex radii at equal angular steps
        radii = dict(square=[r] * 4, triangle=[r] * 3, hexagon=[r] * 6, pentagon=[r] * 5,
                     star=[r, 0.45 * r] * 5, diamond=[r, 0.55 * r] * 2,
                     kite=[r, 0.5 * r, 0.3 * r, 0.5 * r])[shape]
        theta = angle + 2 * math.pi * np.arange(len(radii)) / len(radii)
        pts = np.stack([cx + np.asarray(radii) * np.cos(theta),
                        cy + np.asarray(radii) * np.sin(theta)], axis=1)
        cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 1)
    return canvas.astype(bool)


def render_frames(plan: VideoPlan, size: int,
                  num_frames: int = NUM_FRAMES) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draws a video's frames, its sounding-object masks and its every-object masks.

    Args:
        plan (VideoPlan): The video.
        size (int): Frame side in pixels.
        num_frames (int): Frames to draw. Defaults to 5.

    Returns:
        tuple: RGB frames (np.uint8 ``[T, size, size, 3]``), masks (np.bool_
        ``[T, size, size]``, True on the visible pixels of the sounding objects) and object
        masks (the same for every object, silent or not: the answer of an audio-blind
        "segment every object" reference).
    """
    rng = plan.rng(1)
    # Textured background: a low-saturation tint, smooth blobs, per-frame grain.
    tint = rng.uniform(70, 170) + rng.uniform(-15, 15, size=3)
    coarse = rng.uniform(-40, 40, size=(7, 7, 1)) + rng.uniform(-8, 8, size=(7, 7, 3))
    blobs = cv2.resize(coarse.astype(np.float32), (size, size),
                       interpolation=cv2.INTER_CUBIC)  # [size, size, 3], mostly grey
    background = tint.astype(np.float32) + blobs
    frames = np.empty((num_frames, size, size, 3), np.uint8)
    masks = np.zeros((num_frames, size, size), bool)
    objects = np.zeros((num_frames, size, size), bool)
    for t in range(num_frames):
        img = background + rng.normal(0, 8, size=(size, size, 3)).astype(np.float32)
        owner = np.full((size, size), -1, np.int16)  # which object shows at each pixel
        for k, obj in enumerate(plan.objects):
            cat = CATEGORIES.index(obj.category)
            cx = (obj.centre[0] + obj.velocity[0] * t) * size
            cy = (obj.centre[1] + obj.velocity[1] * t) * size
            r = obj.radius * size * (1.0 + 0.04 * math.sin(obj.angle + 1.3 * t))
            region = _shape_mask(category_shape(cat), size, cx, cy, r, obj.angle + obj.spin * t)
            img[region] = np.asarray(category_colour(cat), np.float32) + rng.normal(
                0, 6, size=(int(region.sum()), 3))
            owner[region] = k
        frames[t] = np.clip(np.round(img), 0, 255).astype(np.uint8)
        for k, obj in enumerate(plan.objects):
            if obj.sounding:
                masks[t] |= owner == k
        objects[t] = owner >= 0
    return frames, masks, objects


def render_audio(plan: VideoPlan, sample_rate: int = SAMPLE_RATE,
                 seconds: int = CLIP_SECONDS) -> np.ndarray:
    """The clip's sound: the mix of its sounding categories' signatures plus a little noise.

    Returns:
        np.ndarray: int16 ``[seconds * sample_rate]`` mono samples.
    """
    rng = plan.rng(2)
    time = np.arange(seconds * sample_rate) / sample_rate
    wave = rng.normal(0, 0.01, size=time.shape)
    for category in plan.sounding_categories:
        params = category_sound_params(CATEGORIES.index(category))
        tone = sum(a * np.sin(2 * math.pi * f * time + rng.uniform(0, 2 * math.pi))
                   for f, a in zip(params['freqs'], params['amps']))
        envelope = 1.0 - params['am_depth'] * 0.5 * (
            1 + np.sin(2 * math.pi * params['am_rate'] * time + rng.uniform(0, 2 * math.pi)))
        wave += rng.uniform(0.7, 1.0) * tone * envelope / sum(params['amps'])
    wave *= 0.8 / max(np.abs(wave).max(), 1e-6)
    return np.round(wave * 32767).astype(np.int16)


# ---------------------------------------------------------------------- writing
def write_video(plan: VideoPlan, data_root: str, size: int = 224,
                num_frames: int = NUM_FRAMES) -> None:
    """Writes one video's frames, masks, wav and log-mel pickle under ``data_root``."""
    subset, split, name, category = plan.subset, plan.split, plan.name, plan.category
    frames, masks, _ = render_frames(plan, size, num_frames)
    annotated = layout.annotated_frames(subset, split, num_frames)
    for i in range(num_frames):
        mmcv.imwrite(frames[i][..., ::-1],  # RGB -> BGR for OpenCV
                     layout.frame_path(data_root, subset, split, name, category, i + 1))
        if annotated[i]:
            mmcv.imwrite(masks[i].astype(np.uint8) * 255,
                         layout.mask_path(data_root, subset, split, name, category, i + 1))
    samples = render_audio(plan)  # int16 [S]
    wav_path = layout.audio_wav_path(data_root, subset, split, name, category)
    os.makedirs(osp.dirname(wav_path), exist_ok=True)
    soundfile.write(wav_path, samples, SAMPLE_RATE, subtype='PCM_16')
    # The same int16 samples the wav holds -> [5, 1, 96, 64], padded by repeating (v1).
    log_mel = pad_or_crop_examples(waveform_to_examples(samples, SAMPLE_RATE), num_frames)
    pkl_path = layout.log_mel_pkl_path(data_root, subset, split, name, category)
    os.makedirs(osp.dirname(pkl_path), exist_ok=True)
    with open(pkl_path, 'wb') as f:
        pickle.dump(log_mel.contiguous(), f)


def write_meta_csv(plans: Sequence[VideoPlan], data_root: str, subset: str) -> str:
    """Writes the meta CSV (video name first; S4 also ``category``); returns its path."""
    path = layout.meta_csv_path(data_root, subset)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        if subset == 's4':
            writer.writerow(['name', 'start_time', 'category', 'split'])
            writer.writerows([p.name, p.start_time, p.category, p.split] for p in plans)
        else:
            writer.writerow(['name', 'start_time', 'split'])
            writer.writerows([p.name, p.start_time, p.split] for p in plans)
    return path


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
    splits = args.splits
    plans = plan_dataset(args.subset, splits, args.videos, args.seed, args.num_categories,
                         args.distractors, args.sounding)
    write_meta_csv(plans, args.out, args.subset)
    progress = ProgressBar(len(plans))
    for plan in plans:
        write_video(plan, args.out, size=args.size)
        progress.update()
    print(f'\nwrote {len(plans)} {args.subset} videos ({", ".join(splits)}) to {args.out}')
    return plans


if __name__ == '__main__':
    main()
