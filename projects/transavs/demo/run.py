"""`make demo` end to end: data, training, the three evaluations, pictures and the report.

1. Writes small S4- and MS3-style data sets in the exact AVSBench v1 layout
   (:func:`make_data`): each category has its own look and sound, silent distractors share the
   frames, and only sounding objects are in the masks.
2. Trains ``configs/transavs_tiny_demo.py`` (S4 + MS3 together) with the config's runner
   (``AVSRunner``).
3. Tests it on both test splits with the official AVSBench metrics (``AVSMetric``), and
   computes two audio-blind references: the same model with the audio replaced by silence
   (``MuteAudio``), and "segment every object" (every object's pixels, sounding or not).
4. The semantic task (AVSBench-semantic, 71 classes): writes a small set of v1s, v1m and v2
   clips in the release's layout (:func:`make_avss_data`), trains
   ``configs/transavs_tiny_avss_demo.py`` on it and tests it with the official AVSS metric
   (``AVSSMetric``), with the audio and with the audio silenced.
5. Writes ``metrics.md`` / ``metrics.json`` (with how much the self-supervised losses AQDL and
   AQML acted during training) and pictures of test clips (ground truth on top, prediction
   below) to ``out``.
"""
import json
import os
import os.path as osp
import time
from typing import Dict, Optional, Sequence, Tuple

import mmcv
import numpy as np

from ..engine import build_runner
from ..engine.hooks import load_clip_frames
from ..visualization import draw_clip
from .config import AVSS_CONFIG, CONFIG, SUBSETS, build_avss_config, build_config
from .data import AVSS_CATEGORIES, AVSS_SUBSETS, make_avss_data, make_data
from .report import activity_text, loss_activity, semantic_table, table
from .scoring import evaluate, every_object_reference, mute_audio, per_subset

__all__ = ['run_demo']


def run_demo(out: str = 'demo_out', config: str = CONFIG, iters: Optional[int] = None,
             train_videos: Sequence[int] = (640, 480), test_videos: int = 24, seed: int = 0,
             pictures: int = 6, avss: bool = True, avss_config: str = AVSS_CONFIG,
             avss_iters: Optional[int] = None,
             avss_train_videos: Sequence[int] = (160, 120, 160)) -> dict:
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
        avss (bool): Also run the semantic part. Defaults to True.
        avss_config (str): Its config. Defaults to ``configs/transavs_tiny_avss_demo.py``.
        avss_iters (int, optional): Its training iterations (default: the config's).
        avss_train_videos (Sequence[int]): Its training clips per subset (v1s, v1m, v2);
            ``test_videos`` test clips each. Defaults to (160, 120, 160).

    Returns:
        dict: ``rows`` (method -> per-subset mJ / mF / mF_dataset), ``seconds``,
        ``activity`` (:func:`loss_activity`) and, with ``avss``, ``avss`` (its rows,
        activity, iterations and seconds).
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
    runner = build_runner(cfg)
    runner.train()
    t_train = time.time() - start - t_data
    activity = loss_activity(runner.message_hub)

    print('[demo] testing: with audio, with the audio silenced, and "every object"')
    with_audio, kept = evaluate(runner, cfg.test_dataloader, keep=pictures)
    muted, kept_muted = evaluate(runner, mute_audio(cfg.test_dataloader), keep=pictures)
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

    binary_seconds = time.time() - start
    text = ('# TransAVS demo (synthetic AVSBench-format data, CPU)\n\n' + table(rows) +
            f'\nTest clips: {test_videos} per subset. Official AVSBench metrics '
            '(mJ; mF with test batches of 4 clips).\n'
            f'Time: {binary_seconds / 60:.1f} min (data {t_data:.0f} s, training '
            f'{t_train:.0f} s, {cfg.train_cfg.max_iters} iterations of 4 clips).\n' +
            activity_text(activity) +
            'Pictures: ground truth (top, green), prediction (middle, red), prediction with '
            'the audio silenced (bottom).\n')
    result = dict(rows=dict(rows), seconds=binary_seconds, activity=activity,
                  iterations=cfg.train_cfg.max_iters)
    if avss:
        semantic, semantic_text = _run_semantic(out, avss_config, avss_iters,
                                                avss_train_videos, test_videos, seed,
                                                pictures, init_from=_last_checkpoint(cfg))
        result['avss'] = semantic
        text += semantic_text
    result['seconds'] = elapsed = time.time() - start
    text += f'\nTotal time: {elapsed / 60:.1f} min.\n'
    with open(osp.join(out, 'metrics.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out, 'metrics.json'), 'w') as f:
        json.dump(result, f, indent=2)
    print('\n' + text)
    margins = [rows[0][1][s]['mJ'] - max(rows[1][1][s]['mJ'], rows[2][1][s]['mJ'])
               for s in SUBSETS]
    verdict = 'beats' if min(margins) > 0 else 'does NOT beat'
    print(f'[demo] with audio, TransAVS {verdict} both audio-blind references on mJ '
          f'(margins S4 {margins[0]:+.3f}, MS3 {margins[1]:+.3f}); outputs in {out}')
    if avss:
        sem_rows = result['avss']['rows']
        margin = (sem_rows['TransAVS (tiny, with audio)']['mIoU'] -
                  sem_rows['same model, audio silenced']['mIoU'])
        verdict = 'beats' if margin > 0 else 'does NOT beat'
        print(f'[demo] AVSS: with audio, TransAVS {verdict} the audio-silenced reference on '
              f'mIoU (margin {margin:+.3f})')
    return result


def _last_checkpoint(cfg) -> str:
    """The checkpoint a finished training run wrote last (its ``last_checkpoint`` file)."""
    with open(osp.join(cfg.work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def _run_semantic(out: str, config: str, iters: Optional[int], train_videos: Sequence[int],
                  test_videos: int, seed: int, pictures: int,
                  init_from: Optional[str] = None) -> Tuple[Dict, str]:
    """The semantic part of the demo: data, training, the two evaluations and pictures.

    The model starts from ``init_from`` (the S4 + MS3 demo model): every weight whose shape
    fits (all but the class layer and the audio-query mixing ``W_1`` of eq. 1, 5 -> 10 s).

    Returns:
        tuple[dict, str]: ``rows`` (method -> AVSSMetric's metrics), ``activity``,
        ``iterations`` and ``seconds``; and the report's section.
    """
    start = time.time()
    cfg = build_avss_config(config, out, iters)
    cfg.load_from = init_from
    # A 2-class model into a 71-class one: the class layer and W_1 differ, load the rest.
    cfg.load_from_partial = True
    print(f'[demo] writing synthetic AVSBench-semantic data (v1s, v1m, v2) to {out}/data/avss')
    make_avss_data(out, train_videos, test_videos, seed, num_categories=AVSS_CATEGORIES)
    t_data = time.time() - start
    print(f'[demo] training {osp.basename(config)} for {cfg.train_cfg.max_iters} iterations')
    runner = build_runner(cfg)
    runner.train()
    t_train = time.time() - start - t_data
    activity = loss_activity(runner.message_hub)
    print('[demo] testing the semantic model: with audio and with the audio silenced')
    metric = dict(type='AVSSMetric')
    with_audio, kept = evaluate(runner, cfg.test_dataloader, keep=pictures, metric=metric)
    muted, kept_muted = evaluate(runner, mute_audio(cfg.test_dataloader), keep=pictures,
                                 metric=metric)
    rows = [('TransAVS (tiny, with audio)', with_audio), ('same model, audio silenced', muted)]
    meta = runner.train_dataloader.dataset.metainfo  # classes and palette of label2idx.json
    for subset in AVSS_SUBSETS:
        for sample, muted_sample in zip(kept.get(subset, []), kept_muted.get(subset, [])):
            _draw_semantic(sample, muted_sample, out, meta)
    seconds = time.time() - start
    clips = test_videos * len(AVSS_SUBSETS)
    text = ('\n## AVSBench-semantic (71 classes)\n\n' +
            semantic_table(rows) +
            f'\nTest clips: {clips} ({test_videos} each of v1s, v1m and v2; v1 clips padded to '
            '10 frames, padded frames evaluated as the official test). Official AVSS metric: '
            f'mIoU and mF are means over all {len(meta["classes"])} classes, those absent from '
            f'the data counting 0, so with {AVSS_CATEGORIES} sounding classes + background '
            f'the most they can reach is {AVSS_CATEGORIES + 1}/{len(meta["classes"])} = '
            f'{(AVSS_CATEGORIES + 1) / len(meta["classes"]):.3f}; the means over the classes '
            'present are beside them.\n'
            f'Time: {seconds / 60:.1f} min (data {t_data:.0f} s, training {t_train:.0f} s, '
            f'{cfg.train_cfg.max_iters} iterations of 2 clips of 10 frames, starting from the '
            'S4 + MS3 model above but for its class layer and its audio-query mixing).\n' +
            activity_text(activity))
    return dict(rows=dict(rows), activity=activity, iterations=cfg.train_cfg.max_iters,
                seconds=seconds), text


def _draw_semantic(sample, muted_sample, out: str, meta: dict) -> None:
    """Draws a semantic test clip's real frames (padded ones left out) to ``{out}/pictures``:
    ground truth, prediction and prediction with the audio silenced, in palette colours."""
    real = [i for i, padded in enumerate(sample.metainfo['frame_padded']) if not padded]
    frames = load_clip_frames([sample.metainfo['frame_paths'][i] for i in real],
                              tuple(sample.pred_sem_seg.shape))  # [T_real, H, W, 3]
    image = draw_clip(frames, sample.pred_sem_seg.data.numpy()[real],
                      sample.gt_sem_seg.data.numpy()[real],
                      [sample.metainfo['gt_valid'][i] for i in real],
                      extra_preds={'silenced': muted_sample.pred_sem_seg.data.numpy()[real]},
                      classes=meta['classes'], palette=np.asarray(meta['palette'], np.uint8),
                      frame_numbers=[i + 1 for i in real])
    mmcv.imwrite(mmcv.rgb2bgr(image),
                 osp.join(out, 'pictures', f'avss_{sample.metainfo["video_name"]}.png'))
