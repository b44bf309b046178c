"""Ablation of TransAVS's design choices on the demo's synthetic data
(the table in docs/en/advanced_guides/ablation.md).

Every variant trains the demo's tiny TransAVS (``configs/transavs_tiny_demo.py``: S4 + MS3
trained together, 96x96) on the same generated data and is tested on both test splits with the
official metrics. Beside mJ / mF, each row says how much the self-supervised losses acted: the
fraction of training iterations (after the first tenth) in which AQDL / AQML were non-zero,
and the mean sizes of their query sets ``S_1`` / ``S_2`` per frame. Every run is also scored
with the other inference rule (``model.test_cfg.inference``), so one table compares both.

Each (variant, seed) trains in its own process (:func:`run_variant`) and leaves
``runs/{variant}_s{seed}/result.json``; a run whose result exists is not repeated, so an
interrupted ablation resumes where it stopped (:func:`run_ablation`). ``table.md`` /
``table.json`` hold the summary (mean over seeds, and the spread as half the max - min).
"""
import json
import os
import os.path as osp
import subprocess
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from ..engine import build_runner
from .config import CONFIG, REPO_ROOT, SUBSETS, build_config
from .data import make_data
from .report import loss_activity
from .scoring import evaluate, per_subset

__all__ = ['CRITERION', 'ITERS', 'VARIANTS', 'TABLE_VARIANTS', 'run_variant', 'summarize',
           'run_ablation']

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
    'conf_sounding': ("confidence='sounding' (p of the most probable real class, only for "
                      'queries whose class is a sounding one: the paper\'s S1 / S2)',
                      {f'{CRITERION}.confidence': 'sounding'}, (0, 1)),
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
#: the rows of the table in docs/en/advanced_guides/ablation.md
TABLE_VARIANTS = ('default', 'no_aqdl', 'no_aqml', 'no_aqdl_aqml', 'fixed_delta', 'semantic',
                  'conf_foreground', 'd0_1', 'alpha_0.5', 'queries_4', 'no_mask_ce', 'union')


def _run_dir(out: str, variant: str, seed: int) -> str:
    return osp.join(out, 'runs', f'{variant}_s{seed}')


def run_variant(out: str, variant: str, seed: int, iters: int = ITERS) -> dict:
    """Trains and tests one variant with one seed (in this process) on ``{out}/data``.

    Args:
        out (str): The ablation folder (absolute), holding the data.
        variant (str): A key of :data:`VARIANTS`.
        seed (int): The training seed.
        iters (int): Training iterations. Defaults to :data:`ITERS`.

    Returns:
        dict: What ``runs/{variant}_s{seed}/result.json`` holds: ``variant``, ``seed``,
        ``inference`` (the configured rule), ``metrics`` (per rule, per subset),
        ``activity``, ``iterations``, ``seconds`` and ``options``.
    """
    _, options, _ = VARIANTS[variant]
    start = time.time()
    run_dir = _run_dir(out, variant, seed)
    cfg = build_config(CONFIG, out, iters)
    cfg.merge_from_dict(options, allow_list_keys=True)
    cfg.work_dir = run_dir
    cfg.randomness = dict(seed=seed)
    runner = build_runner(cfg)
    runner.train()
    head = runner.model.decode_head
    rule = head.test_cfg['inference']
    metrics = {}
    for name in (rule, 'threshold' if rule == 'eq14' else 'eq14'):
        head.test_cfg['inference'] = name
        scores, _ = evaluate(runner, cfg.test_dataloader)
        metrics[name] = per_subset(scores)
    head.test_cfg['inference'] = rule
    result = dict(variant=variant, seed=seed, inference=rule, metrics=metrics,
                  activity=loss_activity(runner.message_hub),
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


def summarize(results: Sequence[dict], variants: Sequence[str]) -> Tuple[str, Dict[str, dict]]:
    """The markdown table (mean over seeds ± half the range) and its JSON form.

    Args:
        results (Sequence[dict]): Run results (as :func:`run_variant` returns).
        variants (Sequence[str]): The rows, in order; variants without results are left out.

    Returns:
        tuple[str, dict[str, dict]]: The table and, per variant, its description, rule,
        seeds and the per-seed values of every column.
    """
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


def run_ablation(out: str, variants: Sequence[str] = TABLE_VARIANTS,
                 seeds: Optional[Sequence[int]] = None, iters: int = ITERS,
                 train_videos: Sequence[int] = (640, 480), test_videos: int = 24,
                 data_seed: int = 0, train: bool = True,
                 run_command: Optional[Callable[[str, int], List[str]]] = None
                 ) -> Dict[str, dict]:
    """Writes the data once, trains the missing runs, and writes ``table.md`` / ``table.json``.

    Args:
        out (str): The ablation folder (absolute).
        variants (Sequence[str]): Keys of :data:`VARIANTS`. Defaults to that table's rows.
        seeds (Sequence[int], optional): Seeds for every variant (default: each variant's).
        iters (int): Training iterations per run. Defaults to :data:`ITERS`.
        train_videos (Sequence[int]): Training videos per subset (S4, MS3).
        test_videos (int): Test videos per subset.
        data_seed (int): The data seed.
        train (bool): Write the data and train the missing runs; False only summarises the
            runs that exist. Defaults to True.
        run_command (Callable[[str, int], list[str]], optional): The command that runs
            :func:`run_variant` for ``(variant, seed)`` in its own process (run from the
            repository root, its output in ``runs/{variant}_s{seed}.log``). Needed when a run
            is missing and ``train`` is True.

    Returns:
        dict[str, dict]: The summary of :func:`summarize` (also in ``table.json``).

    Raises:
        RuntimeError: a run failed.
        ValueError: a finished run was trained with other iterations or options than asked.
    """
    os.makedirs(out, exist_ok=True)
    marker = osp.join(out, 'data', 'done.json')
    data_spec = dict(train_videos=list(train_videos), test_videos=test_videos, seed=data_seed)
    if train and (not osp.exists(marker) or json.load(open(marker)) != data_spec):
        size = Config.fromfile(CONFIG).test_pipeline[0]['scale'][0]
        print(f'[ablation] writing the demo data to {out}/data')
        make_data(out, train_videos, test_videos, data_seed, size)
        with open(marker, 'w') as f:
            json.dump(data_spec, f)

    results = []
    for variant in variants:
        for seed in (seeds or VARIANTS[variant][2]):
            path = osp.join(_run_dir(out, variant, seed), 'result.json')
            if not train and not osp.exists(path):
                continue
            if not osp.exists(path):
                if run_command is None:
                    raise ValueError(f'run {variant} seed {seed} is missing and no '
                                     'run_command was given to train it')
                print(f'[ablation] training {variant} (seed {seed})', flush=True)
                log = osp.join(out, 'runs', f'{variant}_s{seed}.log')
                os.makedirs(osp.dirname(log), exist_ok=True)
                with open(log, 'w') as f:
                    code = subprocess.call(run_command(variant, seed), stdout=f,
                                           stderr=subprocess.STDOUT, cwd=REPO_ROOT)
                if code != 0:
                    raise RuntimeError(f'run {variant} seed {seed} failed (exit {code}); '
                                       f'see {log}')
            with open(path) as f:
                results.append(json.load(f))
            if results[-1]['iterations'] != iters:
                raise ValueError(f'{path} was trained for {results[-1]["iterations"]} '
                                 f'iterations, not --iters {iters}: use another --out')
            options = json.loads(json.dumps(VARIANTS[variant][1]))
            if results[-1]['options'] != options:
                raise ValueError(f'{path} was trained with options {results[-1]["options"]}, '
                                 f'but {variant} is now {options}: delete the run to redo it')
            r = results[-1]
            print(f'[ablation] {variant} seed {seed}: ' + ', '.join(
                f'{s} mJ {r["metrics"][r["inference"]][s]["mJ"]:.3f}' for s in SUBSETS))
    text, summary = summarize(results, variants)
    with open(osp.join(out, 'table.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out, 'table.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print('\n' + text)
    return summary
