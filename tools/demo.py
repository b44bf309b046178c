"""`make demo`: synthetic AVSBench-format data -> train a tiny TransAVS on CPU -> evaluate it
against two audio-blind references -> a metrics table and overlay pictures in demo_out/.

1. Writes small S4- and MS3-style data sets in the exact AVSBench v1 layout
   (``tools/make_synthetic_avsbench.py``): each category has its own look and sound, silent
   distractors share the frames, and only sounding objects are in the masks.
2. Trains ``configs/transavs_tiny_demo.py`` (S4 + MS3 together) with mmengine's Runner.
3. Tests it on both test splits with the official AVSBench metrics (``AVSMetric``), and
   computes two audio-blind references: the same model with the audio replaced by silence
   (``MuteAudio``), and "segment every object" (every object's pixels, sounding or not).
4. Writes ``metrics.md`` / ``metrics.json`` (with how much the self-supervised losses AQDL and
   AQML acted during training) and pictures of test clips (ground truth on top, prediction
   below) to ``--out``.

Usage::

    python tools/demo.py --out demo_out [--iters 1200]
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # the repo root

import mmcv  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.evaluator import Evaluator  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import projects.transavs  # noqa: E402,F401
from projects.transavs.engine.hooks import load_clip_frames  # noqa: E402
from projects.transavs.evaluation import score_frames, summarize_clips  # noqa: E402
from projects.transavs.visualization import draw_clip  # noqa: E402
from tools import make_synthetic_avsbench as synthetic  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs', 'transavs_tiny_demo.py')
SUBSETS = ('s4', 'ms3')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train and evaluate a tiny TransAVS on '
                                     'synthetic AVSBench-format data (CPU)')
    parser.add_argument('--out', default='demo_out', help='output folder')
    parser.add_argument('--config', default=CONFIG, help='the demo config')
    parser.add_argument('--iters', type=int, default=None,
                        help='training iterations (default: the config\'s)')
    parser.add_argument('--train-videos', type=int, nargs=2, default=(640, 480),
                        metavar=('S4', 'MS3'), help='training videos per subset')
    parser.add_argument('--test-videos', type=int, default=24, help='test videos per subset')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--pictures', type=int, default=6,
                        help='test clips drawn per subset')
    return parser.parse_args(argv)


def make_data(out, train_videos, test_videos, seed, size):
    """Writes both data sets; returns the test videos' plans per subset."""
    plans = {}
    # S4: 1 sounding object + 1-2 silent ones; MS3: 2 sounding + 2 silent (5 categories).
    layouts = {'s4': ['--distractors', '1', '2'],
               'ms3': ['--distractors', '2', '2', '--sounding', '2', '2']}
    for subset, n_train in zip(SUBSETS, train_videos):
        written = synthetic.main([
            '--out', osp.join(out, 'data', subset), '--subset', subset, '--videos',
            str(n_train), str(test_videos), '--splits', 'train', 'test', '--seed',
            str(seed + SUBSETS.index(subset)), '--size', str(size)
        ] + layouts[subset])
        plans[subset] = [p for p in written if p.split == 'test']
    return plans


def build_config(config, out, iters):
    cfg = Config.fromfile(config)
    roots = {s: osp.join(out, 'data', s) for s in SUBSETS}
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        for ds, subset in zip(loader.dataset.datasets, SUBSETS):
            ds.data_root = roots[subset]
    cfg.work_dir = osp.join(out, 'work_dir')
    if iters is not None:
        cfg.train_cfg.max_iters = iters
        cfg.train_cfg.val_interval = iters + 1
        cfg.param_scheduler[0].end = iters
        cfg.default_hooks.checkpoint.interval = iters
        cfg.custom_hooks[0].n_iter = max(1, iters // 18)
    return cfg


def evaluate(runner, loader_cfg, keep=0):
    """Runs the model over a test loader; returns (metrics, first ``keep`` outputs/subset)."""
    loader = runner.build_dataloader(loader_cfg)
    evaluator = Evaluator([dict(type='AVSMetric', fscore_batch_videos=4)])
    kept = {s: [] for s in SUBSETS}
    runner.model.eval()
    with torch.no_grad():
        for batch in loader:
            outputs = runner.model.test_step(batch)
            evaluator.process(outputs, batch)
            for sample in outputs:
                subset = sample.metainfo['subset']
                if len(kept[subset]) < keep:
                    kept[subset].append(sample.cpu())
    return evaluator.evaluate(len(loader.dataset)), kept


def every_object_reference(plans, size):
    """mJ/mF of predicting every object (sounding or silent) as sounding."""
    results = {}
    for subset, subset_plans in plans.items():
        clips = []
        for plan in subset_plans:
            _, masks, objects = synthetic.render_frames(plan, size)
            clips.append(score_frames(torch.from_numpy(objects).float(),
                                      torch.from_numpy(masks).to(torch.uint8)))
        results[subset] = summarize_clips(clips, fscore_batch_videos=4)
    return results


ACTIVITY_KEYS = ('loss_aqdl', 'loss_aqml', 'aqdl_s1', 'aqml_s2')


def loss_activity(message_hub, skip_fraction: float = 0.1) -> dict:
    """How much AQDL / AQML acted in training, from the per-iteration histories after the
    first ``skip_fraction`` of the run: for each loss the fraction of iterations where it was
    non-zero and its mean, and the mean sizes of ``S_1`` / ``S_2`` per frame."""
    stats = {}
    for key in ACTIVITY_KEYS:
        if f'train/{key}' not in message_hub.log_scalars:
            continue  # the loss is off
        values = message_hub.get_scalar(f'train/{key}').data[0]
        values = values[int(len(values) * skip_fraction):]
        if key.startswith('loss'):
            stats[f'{key}_nonzero'] = float((values > 0).mean())
        stats[f'{key}_mean'] = float(values.mean())
    return stats


def activity_text(stats: dict) -> str:
    """One sentence on :func:`loss_activity`'s statistics."""
    parts = []
    for loss, size, name, set_name in (('loss_aqdl', 'aqdl_s1', 'AQDL', 'S1'),
                                       ('loss_aqml', 'aqml_s2', 'AQML', 'S2')):
        if f'{loss}_nonzero' in stats:
            parts.append(f'{name} non-zero in {100 * stats[f"{loss}_nonzero"]:.0f}% of the '
                         f'iterations (mean |{set_name}| {stats[f"{size}_mean"]:.2f} queries '
                         'per frame)')
        else:
            parts.append(f'{name} off')
    return ('Self-supervised losses after the first tenth of training: ' + '; '.join(parts) +
            '.\n')


def table(rows):
    header = ('| method | S4 mJ | S4 mF | MS3 mJ | MS3 mF |\n'
              '|---|---|---|---|---|\n')
    lines = [f'| {name} | {m["s4"]["mJ"]:.3f} | {m["s4"]["mF"]:.3f} | {m["ms3"]["mJ"]:.3f} | '
             f'{m["ms3"]["mF"]:.3f} |' for name, m in rows]
    return header + '\n'.join(lines) + '\n'


def per_subset(metrics):
    return {s: dict(mJ=metrics[f'{s}/mJ'], mF=metrics[f'{s}/mF'],
                    mF_dataset=metrics[f'{s}/mF_dataset']) for s in SUBSETS}


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    out = osp.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    cfg = build_config(args.config, out, args.iters)
    size = cfg.test_pipeline[0]['scale'][0]
    print(f'[demo] writing synthetic S4 and MS3 data ({size}x{size}) to {out}/data')
    plans = make_data(out, args.train_videos, args.test_videos, args.seed, size)
    t_data = time.time() - start

    print(f'[demo] training {osp.basename(args.config)} for {cfg.train_cfg.max_iters} '
          'iterations')
    runner = Runner.from_cfg(cfg)
    runner.train()
    t_train = time.time() - start - t_data
    activity = loss_activity(runner.message_hub)

    print('[demo] testing: with audio, with the audio silenced, and "every object"')
    with_audio, kept = evaluate(runner, cfg.test_dataloader, keep=args.pictures)
    muted_cfg = copy.deepcopy(cfg.test_dataloader)
    for ds in muted_cfg.dataset.datasets:
        ds.pipeline.insert(3, dict(type='MuteAudio'))
    muted, kept_muted = evaluate(runner, muted_cfg, keep=args.pictures)
    blind = every_object_reference(plans, size)
    rows = [('TransAVS (tiny, with audio)', per_subset(with_audio)),
            ('same model, audio silenced', per_subset(muted)),
            ('segment every object', blind)]

    pictures = osp.join(out, 'pictures')
    for subset in SUBSETS:
        for sample, muted_sample in zip(kept[subset], kept_muted[subset]):
            frames = load_clip_frames(sample.metainfo['frame_paths'],
                                      tuple(sample.pred_sem_seg.shape))
            image = draw_clip(frames, sample.pred_sem_seg.data.numpy() > 0,
                              sample.gt_sem_seg.data.numpy() > 0, sample.metainfo['gt_valid'],
                              extra_preds={'silenced': muted_sample.pred_sem_seg.data.numpy() > 0})
            mmcv.imwrite(mmcv.rgb2bgr(image),
                         osp.join(pictures, f'{subset}_{sample.metainfo["video_name"]}.png'))

    elapsed = time.time() - start
    text = ('# TransAVS demo (synthetic AVSBench-format data, CPU)\n\n' + table(rows) +
            f'\nTest clips: {args.test_videos} per subset. Official AVSBench metrics '
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


if __name__ == '__main__':
    main()
