"""Writing synthetic videos and the meta CSV in the exact AVSBench v1 on-disk layout.

Each video gets its frames (PNG), 0/255 single-channel masks (S4 train: only frame 1), a 5 s
16 kHz mono wav and the ``[5, 1, 96, 64]`` VGGish log-mel ``.pkl`` computed from that wav.
Paths come from :mod:`projects.transavs.datasets.avsbench_layout`.
"""
import csv
import os
import os.path as osp
import pickle
from typing import Sequence

import mmcv
import numpy as np
import soundfile

from .. import avsbench_layout as layout
from ..transforms.vggish_frontend import pad_or_crop_examples, waveform_to_examples
from .plan import NUM_FRAMES, SAMPLE_RATE, VideoPlan
from .render import render_audio, render_frames

__all__ = ['write_video', 'write_meta_csv', 'write_category_file', 'CATEGORY_FILE']

#: the synthetic MS3 set's category file (not part of the official release; the real source
#: of MS3 clips' sounding categories is AVSBench-semantic's metadata.csv, its v1m rows)
CATEGORY_FILE = 'ms3_categories.csv'


def write_video(plan: VideoPlan, data_root: str, size: int = 224,
                num_frames: int = NUM_FRAMES) -> None:
    """Writes one video's frames, masks, wav and log-mel pickle under ``data_root``.

    Args:
        plan (VideoPlan): The video.
        data_root (str): The subset's root (the folder of its meta CSV).
        size (int): Frame side in pixels. Defaults to 224.
        num_frames (int): Frames per video. Defaults to 5.
    """
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
    """Writes the meta CSV: video name first; S4 also ``category``.

    Args:
        plans (Sequence[VideoPlan]): The videos, in CSV order.
        data_root (str): The subset's root.
        subset (str): 's4' or 'ms3'.

    Returns:
        str: The CSV's path.
    """
    path = layout.meta_csv_path(data_root, subset)
    if subset == 's4':
        return _write_csv(path, ['name', 'start_time', 'category', 'split'],
                          ([p.name, p.start_time, p.category, p.split] for p in plans))
    return _write_csv(path, ['name', 'start_time', 'split'],
                      ([p.name, p.start_time, p.split] for p in plans))


def _write_csv(path: str, header: Sequence[str], rows) -> str:
    """Writes a UTF-8 CSV (its folder made as needed); returns ``path``."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_category_file(plans: Sequence[VideoPlan], data_root: str) -> str:
    """Writes ``{data_root}/ms3_categories.csv``: each clip's sounding categories.

    The columns are those of AVSBench-semantic's ``metadata.csv`` that the datasets'
    ``category_file`` reads: ``vid`` (the video name) and ``a_obj`` (the categories in drawing
    order, once each, joined by ``'_'``; a ``'_'`` inside a category name becomes ``'-'`` so
    that ``'_'`` stays the separator, as in the release's class names). It is not part of the
    official release; the real source of MS3 categories is AVSBench-semantic's
    ``metadata.csv`` (its ``v1m`` rows).

    Args:
        plans (Sequence[VideoPlan]): The videos, in CSV order.
        data_root (str): The subset's root.

    Returns:
        str: The file's path.
    """
    rows = ([p.name, '_'.join(dict.fromkeys(c.replace('_', '-') for c in p.sounding_categories))]
            for p in plans)
    return _write_csv(osp.join(data_root, CATEGORY_FILE), ['vid', 'a_obj'], rows)
