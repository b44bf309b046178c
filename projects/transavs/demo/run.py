"""`make demo` end to end: data, training, the three evaluations, pictures and the report.

1. Writes small S4- and MS3-style data sets in the exact AVSBench v1 layout
   (:func:`make_data`): each category has its own look and sound, silent distractors share the
   frames, and only sounding objects are in the masks.
2. Trains ``configs/transavs_tiny_demo.py`` (S4 + MS3 together) with the config's runner
   (``AVSRunner``).
3. Tests it on both test splits with the official AVSBench metrics (``AVSMetric``), with the
   true audio and under the three negative-audio conditions of AVSBench-Robust (silence,
   noise, off-screen sound: the false positive rates and the G-scores,
   :func:`evaluate_robustness`), beside the audio-blind reference "segment every object"
   (every object's pixels, sounding or not).
4. The semantic task (AVSBench-semantic, 71 classes): writes a small set of v1s, v1m and v2
   clips in the release's layout (:func:`make_avss_data`), trains
   ``configs/transavs_tiny_avss_demo.py`` on it and tests it with the official AVSS metric
   (``AVSSMetric``), with the true audio and under the same negative conditions.
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

from ..datasets.transforms import NEGATIVE_CONDITIONS
from ..engine import build_runner
from ..engine.hooks import load_clip_frames
from ..evaluation.robustness import fpr_key, robustness_scores
from ..visualization import draw_clip
from .config import AVSS_CONFIG, CONFIG, SUBSETS, build_avss_config, build_config
from .data import AVSS_CATEGORIES, AVSS_SUBSETS, make_avss_data, make_data
from .report import activity_text, loss_activity, robustness_md, semantic_table, table
from .scoring import evaluate_robustness, every_object_reference, per_subset

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
        dict: ``rows`` (method -> per-subset mJ / mF / mF_dataset), ``robustness`` (method ->
        per-subset mJ, mF, ``FPR/{condition}``, ``G-FPR``, ``G-mJ``, ``G-mF``), ``seconds``,
        ``activity`` (:func:`loss_activity`) and, with ``avss``, ``avss`` (its rows,
        robustness, activity, iterations and seconds).
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

    print('[demo] testing: with audio, under negative audio (silence, noise, off-screen), and '
          '"every object"')
    robust, kept = evaluate_robustness(runner, cfg.test_dataloader, seed=seed, keep=pictures)
    blind = every_object_reference(plans, size)
    rows = [('TransAVS (tiny, with audio)', per_subset(robust)),
            ('segment every object', blind)]
    blind_robust = _reference_robustness(blind)

    picture_dir = osp.join(out, 'pictures')
    for subset in SUBSETS:
        for i, sample in enumerate(kept['positive'][subset]):
            frames = load_clip_frames(sample.metainfo['frame_paths'],
                                      tuple(sample.pred_sem_seg.shape))
            extra = {c: kept[c][subset][i].pred_sem_seg.data.numpy() > 0
                     for c in PICTURE_CONDITIONS}
            image = draw_clip(frames, sample.pred_sem_seg.data.numpy() > 0,
                              sample.gt_sem_seg.data.numpy() > 0, sample.metainfo['gt_valid'],
                              extra_preds=extra)
            mmcv.imwrite(mmcv.rgb2bgr(image),
                         osp.join(picture_dir, f'{subset}_{sample.metainfo["video_name"]}.png'))

    binary_seconds = time.time() - start
    text = ('# TransAVS demo (synthetic AVSBench-format data, CPU)\n\n' + table(rows) +
            f'\nTest clips: {test_videos} per subset. Official AVSBench metrics '
            '(mJ; mF with test batches of 4 clips).\n\n'
            '### Negative audio (AVSBench-Robust)\n\n' +
            robustness_md([('TransAVS (tiny)', robust), ('segment every object', blind_robust)],
                          NEGATIVE_CONDITIONS, subsets=SUBSETS) +
            '\nThe same test clips with audio that should make the model segment nothing: '
            'silence, white noise at the clip\'s own level, and the sound of another test clip '
            'whose categories are not on screen (off-screen). FPR: the mean fraction of a '
            'frame\'s pixels predicted sounding (0 is right); G-FPR: their mean; G-mJ / G-mF: '
            'the harmonic mean of mJ / mF and 1 - G-FPR. "Segment every object" does not '
            'listen: its FPR is the objects\' share of the frame in every condition.\n'
            f'Time: {binary_seconds / 60:.1f} min (data {t_data:.0f} s, training '
            f'{t_train:.0f} s, {cfg.train_cfg.max_iters} iterations of 4 clips).\n' +
            activity_text(activity) +
            'Pictures: ground truth (top, green), prediction (red), then the predictions with '
            'the audio silenced and with off-screen audio.\n')
    result = dict(rows=dict(rows), robustness={'TransAVS (tiny)': _by_subset(robust),
                                               'segment every object':
                                               _by_subset(blind_robust)},
                  seconds=binary_seconds, activity=activity,
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
    margins = [robust[f'{s}/G-mJ'] - blind_robust[f'{s}/G-mJ'] for s in SUBSETS]
    verdict = 'beats' if min(margins) > 0 else 'does NOT beat'
    print(f'[demo] TransAVS {verdict} the audio-blind "every object" reference on G-mJ '
          f'(margins S4 {margins[0]:+.3f}, MS3 {margins[1]:+.3f}); outputs in {out}')
    if avss:
        sem = result['avss']['robustness']
        print(f'[demo] AVSS: mIoU over the classes present {sem["mIoU_present"]:.3f}; under '
              f'negative audio {100 * sem["G-FPR"]:.1f}% of the pixels are predicted sounding '
              '(G-FPR)')
    return result


#: the negative conditions drawn under each test clip's prediction
PICTURE_CONDITIONS = ('silence', 'off-screen')


def _by_subset(metrics: dict) -> Dict[str, dict]:
    """``{subset: {name: value}}`` of the ``{subset}/{name}`` entries of merged metrics."""
    out: Dict[str, dict] = {}
    for key, value in metrics.items():
        subset, _, name = key.partition('/')
        if subset in SUBSETS and name:
            out.setdefault(subset, {})[name] = value
    return out


def _reference_robustness(blind: Dict[str, dict]) -> dict:
    """The robustness scores of "segment every object": its FPR in every condition."""
    metrics = {}
    for subset in SUBSETS:
        prefix = f'{subset}/'
        metrics[prefix + 'mJ'] = blind[subset]['mJ']
        metrics[prefix + 'mF'] = blind[subset]['mF']
        fprs = {c: blind[subset]['FPR'] for c in NEGATIVE_CONDITIONS}
        metrics.update({prefix + fpr_key(c): v for c, v in fprs.items()})
        metrics.update(robustness_scores(metrics, fprs, ('mJ', 'mF'), prefix))
    return metrics


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
        tuple[dict, str]: ``rows`` (method -> AVSSMetric's metrics), ``robustness`` (the
        merged metrics of the positive and negative passes), ``activity``, ``iterations``
        and ``seconds``; and the report's section.
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
    print('[demo] testing the semantic model: with audio and under negative audio')
    metric = dict(type='AVSSMetric')
    robust, kept = evaluate_robustness(runner, cfg.test_dataloader, seed=seed, keep=pictures,
                                       metric=metric)
    rows = [('TransAVS (tiny, with audio)', robust)]
    meta = runner.train_dataloader.dataset.metainfo  # classes and palette of label2idx.json
    for subset in AVSS_SUBSETS:
        for i, sample in enumerate(kept['positive'].get(subset, [])):
            _draw_semantic(sample, {c: kept[c][subset][i] for c in PICTURE_CONDITIONS}, out,
                           meta)
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
            'present are beside them.\n\n' +
            robustness_md([('TransAVS (tiny)', robust)], NEGATIVE_CONDITIONS, ('mIoU', 'mF')) +
            '\nNegative audio as above; FPR counts the pixels predicted as any class but '
            'background, on the real frames. G-mIoU / G-mF combine the official (all-class) '
            'mIoU / mF, so they stay low here as those do.\n'
            f'Time: {seconds / 60:.1f} min (data {t_data:.0f} s, training {t_train:.0f} s, '
            f'{cfg.train_cfg.max_iters} iterations of 2 clips of 10 frames, starting from the '
            'S4 + MS3 model above but for its class layer and its audio-query mixing).\n' +
            activity_text(activity))
    return dict(rows=dict(rows), robustness=robust, activity=activity,
                iterations=cfg.train_cfg.max_iters, seconds=seconds), text


def _draw_semantic(sample, negatives: dict, out: str, meta: dict) -> None:
    """Draws a semantic test clip's real frames (padded ones left out) to ``{out}/pictures``:
    ground truth, prediction and the predictions under ``negatives`` (condition -> output
    sample), in palette colours."""
    real = [i for i, padded in enumerate(sample.metainfo['frame_padded']) if not padded]
    frames = load_clip_frames([sample.metainfo['frame_paths'][i] for i in real],
                              tuple(sample.pred_sem_seg.shape))  # [T_real, H, W, 3]
    image = draw_clip(frames, sample.pred_sem_seg.data.numpy()[real],
                      sample.gt_sem_seg.data.numpy()[real],
                      [sample.metainfo['gt_valid'][i] for i in real],
                      extra_preds={c: neg.pred_sem_seg.data.numpy()[real]
                                   for c, neg in negatives.items()},
                      classes=meta['classes'], palette=np.asarray(meta['palette'], np.uint8),
                      frame_numbers=[i + 1 for i in real])
    mmcv.imwrite(mmcv.rgb2bgr(image),
                 osp.join(out, 'pictures', f'avss_{sample.metainfo["video_name"]}.png'))
