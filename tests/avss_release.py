"""Hand-made AVSBench-semantic trees for tests that need exact control over each file (the
bad-input tests change single files; tests that only need a valid tree use the generated
``avss_root`` fixture of conftest.py)."""
import csv
import json
import os
import os.path as osp
from typing import Sequence, Tuple

import numpy as np
import soundfile
from PIL import Image

from projects.transavs.datasets import avsbench_semantic_layout as layout
from projects.transavs.datasets.semantic_palette import AVSS_CLASSES, bit_palette, label_to_colour

PALETTE = bit_palette(len(AVSS_CLASSES))
SIZE = (80, 60)  # (w, h) on disk: not square, not 224
#: (subset, uid, split) of the default tree
CLIPS = (
    ('v1s', 's_a', 'train'), ('v1m', 'm_a', 'train'), ('v2', 'n_a', 'train'),
    ('v1s', 's_b', 'test'), ('v2', 'n_b', 'test'), ('v1m', 'm_b', 'test'),
)


def write_clip(root: str, subset: str, uid: str, split: str,
               classes: Sequence[int] = (5, 9), seed: int = 0,
               size: Tuple[int, int] = SIZE) -> None:
    """One clip as the release stores it: JPEG frames, palette labels of the annotated frames
    (one box per class, moving with the frame index) and a 16 kHz wav of the clip's length."""
    rng = np.random.default_rng(seed)
    w, h = size
    for i in range(layout.SUBSET_FRAMES[subset]):
        path = layout.frame_path(root, subset, uid, i)
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path, quality=95)
    for i, annotated in enumerate(layout.annotated_frames(subset, split)):
        if not annotated:
            continue
        labels = np.zeros((h, w), np.uint8)
        for k, cls in enumerate(classes):
            labels[10 + 20 * k:25 + 20 * k, 5 + 4 * i:30 + 4 * i] = cls
        path = layout.label_path(root, subset, uid, i)
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(label_to_colour(labels, PALETTE)).save(path)
    seconds = layout.SUBSET_FRAMES[subset]
    soundfile.write(layout.audio_path(root, subset, uid),
                    (rng.normal(0, 0.1, 16000 * seconds) * 32767).astype(np.int16), 16000)


def write_meta(root: str, clips: Sequence[Tuple[str, str, str]] = CLIPS,
               classes: Sequence[str] = AVSS_CLASSES) -> None:
    """``metadata.csv`` (the release's columns) and ``label2idx.json`` (values 1..K)."""
    with open(osp.join(root, layout.META_CSV), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['vid', 'uid', 's_min', 's_sec', 'a_obj', 'split', 'label'])
        for subset, uid, split in clips:
            writer.writerow([f'vid_{uid}', uid, 0, 0, 'dog_man', split, subset])
    with open(osp.join(root, layout.LABEL_INDEX), 'w') as f:
        json.dump({name: i + 1 for i, name in enumerate(classes)}, f)


def write_release(root: str, clips: Sequence[Tuple[str, str, str]] = CLIPS,
                  classes: Sequence[int] = (5, 9)) -> str:
    """A whole tree: every clip of ``clips`` with the label ``classes``, and the meta files."""
    for n, (subset, uid, split) in enumerate(clips):
        write_clip(root, subset, uid, split, classes, seed=n)
    write_meta(root, clips)
    return root
