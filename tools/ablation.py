"""Ablation of TransAVS's design choices on the synthetic data of `make demo` (CPU).

The paper's Table 3 for our implementation: every variant trains the demo's tiny TransAVS
(``configs/transavs_tiny_demo.py``: S4 + MS3 trained together, 96x96) on the same generated
data and is tested on both test splits with the official metrics. Beside mJ / mF, each row
says how much the self-supervised losses acted: the fraction of training iterations (after
the first tenth) in which AQDL / AQML were non-zero, and the mean sizes of their query sets
``S_1`` / ``S_2`` per frame. Every run is also scored with the other inference rule
(``model.test_cfg.inference``), so one table compares both.

Each (variant, seed) trains in its own process and leaves ``runs/{variant}_s{seed}/
result.json``; a run whose result exists is not repeated, so an interrupted ablation resumes
where it stopped. ``table.md`` / ``table.json`` hold the summary (mean over seeds, and the
spread as half the max - min).

Usage::

    python tools/ablation.py --out ablation_out                      # the README's table
    python tools/ablation.py --out ablation_out --variants default no_aqdl --seeds 0 1 2
    python tools/ablation.py --list                                  # what each variant is
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # the repo root

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CRITERION = 'model.decode_head.criterion'
#: training iterations per run; fixed here rather than read from the demo config, so that the
#: table's runs stay comparable when the demo changes
ITERS = 1400
NO_CE_COSTS = [
    dict(type='ClassificationCost', weight=2.0),
    dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)
]

#: name -> (description, config overrides as for ``--cfg-options``, default seeds)
VARIANTS = {
    'default': ('the defaults of the configs', {}, (0, 1, 2)),
    'no_aqdl': ('AQDL off', {f'{CRITERION}.loss_aqdl': None}, (0, 1)),
    'no_aqml': ('AQML off', {f'{CRITERION}.loss_aqml': None}, (0, 1)),
    'no_aqdl_aqml': ('AQDL and AQML off',
                     {f'{CRITERION}.loss_aqdl': None, f'{CRITERION}.loss_aqml': None},
                     (0, 1, 2)),
    'fixed_delta': ('fixed delta1 = delta2 = 0.6 instead of eq. 18',
                    {'custom_hooks.0.delta1': 0.6, 'custom_hooks.0.delta2': 0.6}, (0, 1)),
    'semantic': ("gt_instances='semantic' (one instance per class present)",
                 {f'{CRITERION}.gt_instances': 'semantic'}, (0, 1)),
    'components': ("gt_instances='components' (each connected sounding region an instance)",
                   {f'{CRITERION}.gt_instances': 'components'}, (0, 1)),
    'conf_foreground': ("confidence='foreground' (p of the sounding classes selects S1/S2)",
                        {f'{CRITERION}.confidence': 'foreground'}, (0, 1)),
    'conf_max_class': ("confidence='max_class' (p of the most probable real class)",
                       {f'{CRITERION}.confidence': 'max_class'}, (0, 1)),
    'd0_1': ('AQDL d0 = 1 (unit-normalised h(q): pairs closer than 60 degrees)',
             {f'{CRITERION}.loss_aqdl.d0': 1.0}, (0, 1)),
    'd0_2': ('AQDL d0 = 2 (pairs closer than 90 degrees)', {f'{CRITERION}.loss_aqdl.d0': 2.0},
             (0, )),
    'd0_4': ('AQDL d0 = 4: every pair of unit vectors but antipodal ones (no cut-off)',
             {f'{CRITERION}.loss_aqdl.d0': 4.0}, (0, 1)),
    'fixed_h': ('h of eq. 10 not trained (random projection): AQDL moves the queries only',
                {'optim_wrapper.paramwise_cfg.custom_keys.aqdl_proj':
                 dict(lr_mult=0.0, decay_mult=0.0)}, (0, )),
    'alpha_0.5': ('focal alpha 0.5: real classes and "no object" weighted alike (0.25: '
                  '0.25 vs 0.75)', {f'{CRITERION}.loss_cls.alpha': 0.5}, (0, 1)),
    'queries_4': ('4 queries instead of the tiny model\'s 16',
                  {'model.decode_head.num_queries': 4}, (0, 1)),
    'no_mask_ce': ('no sigmoid cross-entropy mask term (loss and matching cost): dice only',
                   {f'{CRITERION}.loss_mask': None,
                    'model.train_cfg.assigner.match_costs': NO_CE_COSTS}, (0, 1)),
    'union': ('the formulation before semantic mask classification: one union instance '
              'per frame, no background class target, no cross-entropy mask term, AQDL on '
              'unnormalised h(q) with d0 = 1, p = P(sounding), thresholded inference',
              {f'{CRITERION}.gt_instances': 'union', f'{CRITERION}.loss_mask': None,
               f'{CRITERION}.confidence': 'foreground',
               f'{CRITERION}.loss_aqdl.normalize': False, f'{CRITERION}.loss_aqdl.d0': 1.0,
               'model.train_cfg.assigner.match_costs': NO_CE_COSTS,
               'model.test_cfg.inference': 'threshold'}, (0, 1)),
}
#: the rows of the README's table
TABLE_VARIANTS = ('default', 'no_aqdl', 'no_aqml', 'no_aqdl_aqml', 'fixed_delta', 'semantic',
                  'conf_foreground', 'd0_1', 'alpha_0.5', 'queries_4', 'no_mask_ce', 'union')
SUBSETS = ('s4', 'ms3')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Ablation of TransAVS on synthetic data')
    parser.add_argument('--out', default='ablation_out', help='output folder')
    parser.add_argument('--variants', nargs='+', default=list(TABLE_VARIANTS),
                        choices=sorted(VARIANTS), metavar='VARIANT')
    parser.add_argument('--seeds', type=int, nargs='+', default=None,
                        help='seeds for every variant (default: each variant\'s own)')
    parser.add_argument('--iters', type=int, default=ITERS,
                        help=f'training iterations (default {ITERS})')
    parser.add_argument('--train-videos', type=int, nargs=2, default=(640, 480),
                        metavar=('S4', 'MS3'))
    parser.add_argument('--test-videos', type=int, default=24)
    parser.add_argument('--data-seed', type=int, default=0)
    parser.add_argument('--no-train', action='store_true',
                        help='only summarise the runs that exist in --out')
    parser.add_argument('--list', action='store_true', help='list the variants and exit')
    parser.add_argument('--run', metavar='VARIANT', help=argparse.SUPPRESS)  # one run
    parser.add_argument('--seed', type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_one(args) -> dict:
    """Trains and tests one variant with one seed (in this process)."""
    from mmengine.runner import Runner

    from tools import demo

    _, options, _ = VARIANTS[args.run]
    start = time.time()
    run_dir = osp.join(args.out, 'runs', f'{args.run}_s{args.seed}')
    cfg = demo.build_config(demo.CONFIG, args.out, args.iters)
    cfg.merge_from_dict(options, allow_list_keys=True)
    cfg.work_dir = run_dir
    cfg.randomness = dict(seed=args.seed)
    runner = Runner.from_cfg(cfg)
    runner.train()
    head = runner.model.decode_head
    rule = head.test_cfg['inference']
    metrics = {}
    for name in (rule, 'threshold' if rule == 'eq14' else 'eq14'):
        head.test_cfg['inference'] = name
        scores, _ = demo.evaluate(runner, cfg.test_dataloader)
        metrics[name] = demo.per_subset(scores)
    head.test_cfg['inference'] = rule
    result = dict(variant=args.run, seed=args.seed, inference=rule, metrics=metrics,
                  activity=demo.loss_activity(runner.message_hub),
                  iterations=cfg.train_cfg.max_iters, seconds=time.time() - start,
                  options=options)
    with open(osp.join(run_dir, 'result.json'), 'w') as f:
        json.dump(result, f, indent=2)
    return result


def _spread(values):
    return (max(values) - min(values)) / 2 if len(values) > 1 else None


def _fmt(values, digits=3):
    mean = sum(values) / len(values)
    spread = _spread(values)
    text = f'{mean:.{digits}f}'
    return text + (f' ± {spread:.{digits}f}' if spread is not None else '')


def summarize(results, variants):
    """Markdown table (mean over seeds ± half the range) and its JSON form."""
    lines = [
        '| variant | seeds | S4 mJ | S4 mF | MS3 mJ | MS3 mF | AQDL ≠ 0 | AQML ≠ 0 | '
        '\\|S1\\| | \\|S2\\| | other rule: S4 mJ / MS3 mJ |',
        '|---|---|---|---|---|---|---|---|---|---|---|'
    ]
    summary = {}
    for variant in variants:
        runs = [r for r in results if r['variant'] == variant]
        if not runs:
            continue
        rule = runs[0]['inference']
        other = next(k for k in runs[0]['metrics'] if k != rule)
        cells, row = [], {}
        for subset in SUBSETS:
            for metric in ('mJ', 'mF'):
                values = [r['metrics'][rule][subset][metric] for r in runs]
                row[f'{subset}/{metric}'] = values
                cells.append(_fmt(values))
        for key in ('loss_aqdl_nonzero', 'loss_aqml_nonzero', 'aqdl_s1_mean', 'aqml_s2_mean'):
            values = [r['activity'][key] for r in runs if key in r['activity']]
            row[key] = values
            cells.append(_fmt(values, 2) if values else 'off')
        other_cell = ' / '.join(
            _fmt([r['metrics'][other][s]['mJ'] for r in runs]) for s in SUBSETS)
        row[f'{other}/mJ'] = {s: [r['metrics'][other][s]['mJ'] for r in runs] for s in SUBSETS}
        seeds = ','.join(str(r['seed']) for r in runs)
        lines.append(f'| {variant} | {seeds} | ' + ' | '.join(cells) +
                     f' | {other}: {other_cell} |')
        summary[variant] = dict(description=VARIANTS[variant][0], inference=rule,
                                seeds=[r['seed'] for r in runs], **row)
    return '\n'.join(lines) + '\n', summary


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for name, (description, options, seeds) in VARIANTS.items():
            print(f'{name:16s} seeds {seeds}: {description}\n{"":16s} {options}')
        return None
    args.out = osp.abspath(args.out)
    if args.run:
        return run_one(args)

    from mmengine.config import Config

    from tools import demo

    os.makedirs(args.out, exist_ok=True)
    marker = osp.join(args.out, 'data', 'done.json')
    data_spec = dict(train_videos=list(args.train_videos), test_videos=args.test_videos,
                     seed=args.data_seed)
    if not args.no_train and (not osp.exists(marker) or json.load(open(marker)) != data_spec):
        size = Config.fromfile(demo.CONFIG).test_pipeline[0]['scale'][0]
        print(f'[ablation] writing the demo data to {args.out}/data')
        demo.make_data(args.out, args.train_videos, args.test_videos, args.data_seed, size)
        with open(marker, 'w') as f:
            json.dump(data_spec, f)

    results = []
    for variant in args.variants:
        for seed in (args.seeds or VARIANTS[variant][2]):
            path = osp.join(args.out, 'runs', f'{variant}_s{seed}', 'result.json')
            if args.no_train and not osp.exists(path):
                continue
            if not osp.exists(path):
                print(f'[ablation] training {variant} (seed {seed})', flush=True)
                command = [sys.executable, osp.abspath(__file__), '--out', args.out,
                           '--run', variant, '--seed', str(seed)]
                command += ['--iters', str(args.iters)]
                log = osp.join(args.out, 'runs', f'{variant}_s{seed}.log')
                os.makedirs(osp.dirname(log), exist_ok=True)
                with open(log, 'w') as f:
                    code = subprocess.call(command, stdout=f, stderr=subprocess.STDOUT,
                                           cwd=ROOT)
                if code != 0:
                    raise RuntimeError(f'run {variant} seed {seed} failed (exit {code}); '
                                       f'see {log}')
            with open(path) as f:
                results.append(json.load(f))
            if results[-1]['iterations'] != args.iters:
                raise ValueError(f'{path} was trained for {results[-1]["iterations"]} '
                                 f'iterations, not --iters {args.iters}: use another --out')
            options = json.loads(json.dumps(VARIANTS[variant][1]))
            if results[-1]['options'] != options:
                raise ValueError(f'{path} was trained with options {results[-1]["options"]}, '
                                 f'but {variant} is now {options}: delete the run to redo it')
            r = results[-1]
            print(f'[ablation] {variant} seed {seed}: ' + ', '.join(
                f'{s} mJ {r["metrics"][r["inference"]][s]["mJ"]:.3f}' for s in SUBSETS))
    text, summary = summarize(results, args.variants)
    with open(osp.join(args.out, 'table.md'), 'w') as f:
        f.write(text)
    with open(osp.join(args.out, 'table.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print('\n' + text)
    return summary


if __name__ == '__main__':
    main()
