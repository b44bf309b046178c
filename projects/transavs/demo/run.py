"""`make demo` end to end: data, training, the three evaluations, pictures and the report.

1. Writes small S4- and MS3-style data sets in the exact AVSBench v1 layout
   (:func:`make_data`): each category has its own look and sound, silent distractors share the
   frames, and only sounding objects are in the masks.
2. Trains ``configs/transavs_tiny_demo.py`` (S4 + MS3 together) with mmengine's Runner.
3. Tests it on both test splits with the official AVSBench metrics (``AVSMetric``), and
   computes two audio-blind references: the same model with the audio replaced by silence
   (``MuteAudio``), and "segment every object" (every object's pixels, sounding or not).
4. Writes ``metrics.md`` / ``metrics.json`` (with how much the self-supervised losses AQDL and
   AQML acted during training) and pictures of test clips (ground truth on top, prediction
   below) to ``out``.
"""
import copy
import json
import os
import os.path as osp
import time
from typing import Optional, Sequence

import mmcv
from mmengine.runner import Runner

from ..engine.hooks import load_clip_frames
from ..visualization import draw_clip
from .config import CONFIG, SUBSETS, build_config
from .data import make_data
from .report import activity_text, loss_activity, table
from .scoring import evaluate, every_object_reference, per_subset

__all__ = ['run_demo']


def run_demo(out: str = 'demo_out', config: str = CONFIG, iters: Optional[int] = None,
             train_videos: Sequence[int] = (640, 480), test_videos: int = 24, seed: int = 0,
             pictures: int = 6) -> dict:
    """Trains and evaluates the tiny TransAVS on synthetic data; writes the report to ``out``.

    Args:
        out (str): The output folder. Defaults to ``'demo_out'``.
        config (str): The demo config. Defaults to ``configs/transavs_tiny_demo.py``.
        iters (int, optional): Training iterations (default: the config's).
        train_videos (Sequence[int]): Training videos per subset (S4, MS3). Defaults to
            (640, 480).
        test_videos (int): Test videos per subset. Defaults to 24.
        seed (int): The data seed. Defaults to 0.
        pictures (int): Test clips drawn per subset. Defaults to 6.

    Returns:
        dict: ``rows`` (method -> per-subset mJ / mF / mF_dataset), ``seconds`` and
        ``activity`` (:func:`loss_activity`).
    """
    start = time.time()
    out = osp.abspath(out)
    os.makedirs(out, exist_ok=True)
    cfg = build_config(config, out, iters)
    size = cfg.test_pipeline[0]['scale'][0]
    print(f'[demo] writing synthetic S4 and MS3 data ({size}x{size}) to {out}/data')
    plans = make_data(out, train_videos, test_videos, seed, size)
    t_data = time.time() - start

    print(f'[demo] training {osp.basename(config)} for {cfg.train_cfg.max_iters} '
          'iterations')
    runner = Runner.from_cfg(cfg)
    runner.train()
    t_train = time.time() - start - t_data
    activity = loss_activity(runner.message_hub)

    print('[demo] testing: with audio, with the audio silenced, and "every object"')
    with_audio, kept = evaluate(runner, cfg.test_dataloader, keep=pictures)
    muted_cfg = copy.deepcopy(cfg.test_dataloader)
    for ds in muted_cfg.dataset.datasets:
        ds.pipeline.insert(3, dict(type='MuteAudio'))
    muted, kept_muted = evaluate(runner, muted_cfg, keep=pictures)
    blind = every_object_reference(plans, size)
    rows = [('TransAVS (tiny, with audio)', per_subset(with_audio)),
            ('same model, audio silenced', per_subset(muted)),
            ('segment every object', blind)]

    picture_dir = osp.join(out, 'pictures')
    for subset in SUBSETS:
        for sample, muted_sample in zip(kept[subset], kept_muted[subset]):
            frames = load_clip_frames(sample.metainfo['frame_paths'],
                                      tuple(sample.pred_sem_seg.shape))
            image = draw_clip(frames, sample.pred_sem_seg.data.numpy() > 0,
                              sample.gt_sem_seg.data.numpy() > 0, sample.metainfo['gt_valid'],
                              extra_preds={'silenced': muted_sample.pred_sem_seg.data.numpy() > 0})
            mmcv.imwrite(mmcv.rgb2bgr(image),
                         osp.join(picture_dir, f'{subset}_{sample.metainfo["video_name"]}.png'))

    elapsed = time.time() - start
    text = ('# TransAVS demo (synthetic AVSBench-format data, CPU)\n\n' + table(rows) +
            f'\nTest clips: {test_videos} per subset. Official AVSBench metrics '
            '(mJ; mF with test batches of 4 clips).\n'
            f'Time: {elapsed / 60:.1f} min (data {t_data:.0f} s, training {t_train:.0f} s, '
            f'{cfg.train_cfg.max_iters} iterations of 4 clips).\n' + activity_text(activity) +
            'Pictures: ground truth (top, green), prediction (middle, red), prediction with '
            'the audio silenced (bottom).\n')
    with open(osp.join(out, 'metrics.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out, 'metrics.json'), 'w') as f:
        json.dump(dict(rows=dict(rows), seconds=elapsed, activity=activity,
                       iterations=cfg.train_cfg.max_iters), f, indent=2)
    print('\n' + text)
    margins = [rows[0][1][s]['mJ'] - max(rows[1][1][s]['mJ'], rows[2][1][s]['mJ'])
               for s in SUBSETS]
    verdict = 'beats' if min(margins) > 0 else 'does NOT beat'
    print(f'[demo] with audio, TransAVS {verdict} both audio-blind references on mJ '
          f'(margins S4 {margins[0]:+.3f}, MS3 {margins[1]:+.3f}); outputs in {out}')
    return dict(rows=dict(rows), seconds=elapsed, activity=activity)
