"""Ablation of TransAVS's design choices on generated data (the tables in
docs/en/advanced_guides/ablation.md), on two benchmarks (:data:`BENCHMARKS`):

- ``demo``: ``make demo``'s S4 + MS3 data, trained together (:data:`VARIANTS`);
- ``ms3_hard``: MS3-like clips with 2-3 sounding objects of different categories among
  silent look-alikes, trained from binary masks only (:data:`HARD_VARIANTS`): the setting in
  which the paper's self-supervised losses have something to add.

Every variant trains the demo's tiny TransAVS (``configs/transavs_tiny_demo.py``, 96x96,
restricted to the benchmark's subsets) on the same generated data and is tested with the
official metrics, both inference rules, and the per-object recall (the fraction of visible
sounding objects that one sounding query's mask covers at IoU >= 0.5,
:func:`~.scoring.object_recall`). Beside them, each row says how much the self-supervised
losses acted: the fraction of training iterations (after the first tenth) in which AQDL /
AQML were non-zero, and the mean sizes of their query sets ``S_1`` / ``S_2`` per frame.

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
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from ..engine import build_runner
from .config import CONFIG, REPO_ROOT, SUBSETS, build_config
from .data import DATA_LAYOUTS, HARD_LAYOUTS, make_data, planned_test_clips
from .report import loss_activity
from .scoring import evaluate, object_recall, per_subset

__all__ = ['CRITERION', 'ITERS', 'VARIANTS', 'TABLE_VARIANTS', 'HARD_VARIANTS', 'Benchmark',
           'BENCHMARKS', 'benchmark_config', 'run_variant', 'summarize', 'run_ablation']

CRITERION = 'model.decode_head.criterion'
#: training iterations per run of the demo benchmark; fixed here rather than read from the
#: demo config, so that the table's runs stay comparable when the demo changes
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

#: the paper's own setting: AVSBench's binary masks as targets (one sounding instance per
#: frame) and S1 / S2 by the sounding classes
PAPER_SETTING = {f'{CRITERION}.gt_instances': 'semantic', f'{CRITERION}.confidence': 'sounding'}
_COMPONENTS = {f'{CRITERION}.gt_instances': 'components', f'{CRITERION}.confidence': 'sounding'}
_LOSSES_OFF = {f'{CRITERION}.loss_aqdl': None, f'{CRITERION}.loss_aqml': None}
#: the ms3_hard benchmark's variants: name -> (description, config overrides, default seeds)
HARD_VARIANTS = {
    'semantic': ("the paper's setting: binary targets (gt_instances='semantic', one sounding "
                 "instance per frame), S1 / S2 by the sounding classes (confidence='sounding'), "
                 'AQDL and AQML on', PAPER_SETTING, (0, 1, 2)),
    'semantic_off': ("the paper's setting, AQDL and AQML off", {**PAPER_SETTING, **_LOSSES_OFF},
                     (0, 1, 2)),
    'components': ("gt_instances='components' (each connected sounding region an instance: "
                   'the instance labels AQDL / AQML stand in for), AQDL and AQML on',
                   _COMPONENTS, (0, 1, 2)),
    'components_off': ("gt_instances='components', AQDL and AQML off",
                       {**_COMPONENTS, **_LOSSES_OFF}, (0, 1, 2)),
    'no_aqdl': ("the paper's setting, AQDL off", {**PAPER_SETTING, f'{CRITERION}.loss_aqdl': None},
                (0, 1)),
    'no_aqml': ("the paper's setting, AQML off", {**PAPER_SETTING, f'{CRITERION}.loss_aqml': None},
                (0, 1)),
    'fixed_h': ("the paper's setting, h of eq. 10 not trained (a random projection)",
                {**PAPER_SETTING, 'optim_wrapper.paramwise_cfg.custom_keys.aqdl_proj':
                 dict(lr_mult=0.0, decay_mult=0.0)}, (0, 1)),
    'aqdl_audio': ("the paper's setting, AQDL on the audio queries A_q (eq. 1-3) instead of the "
                   "decoder's final queries", {**PAPER_SETTING,
                                               'model.decode_head.aqdl_queries': 'audio'},
                   (0, 1)),
    'fixed_delta1': ("the paper's setting, delta1 fixed at 0.6 (delta2 by eq. 18; Table 3)",
                     {**PAPER_SETTING, 'custom_hooks.0.delta1': 0.6}, (0, 1)),
    'fixed_delta2': ("the paper's setting, delta2 fixed at 0.6 (delta1 by eq. 18; Table 3)",
                     {**PAPER_SETTING, 'custom_hooks.0.delta2': 0.6}, (0, 1)),
    'conf_max_class': ("the paper's setting with the old S1 / S2 reading (confidence="
                       "'max_class': background queries enter too)",
                       {**PAPER_SETTING, f'{CRITERION}.confidence': 'max_class'}, (0, 1)),
    'aqml_full': ("the paper's setting, AQML at eq. 12's resolution (aqml_stride=1, the input "
                  'size) instead of stride 4', {**PAPER_SETTING, f'{CRITERION}.aqml_stride': 1},
                  (0, 1)),
    'conf_max_class_aqml_full': ("the old S1 / S2 reading (where AQML acts) with AQML at eq. "
                                 "12's resolution (aqml_stride=1)",
                                 {**PAPER_SETTING, f'{CRITERION}.confidence': 'max_class',
                                  f'{CRITERION}.aqml_stride': 1}, (0, )),
    'paired': ("the paper's setting, AQDL / AQML averaged over the frames with a pair only "
               "(frame_reduction='paired')",
               {**PAPER_SETTING, f'{CRITERION}.loss_aqdl.frame_reduction': 'paired',
                f'{CRITERION}.loss_aqml.frame_reduction': 'paired'}, (0, 1)),
}


@dataclass(frozen=True)
class Benchmark:
    """One ablation benchmark: its data and its variants.

    Args:
        description (str): One line.
        layouts (dict[str, dict]): Per subset, the clips' objects (:func:`~.data.make_data`).
        variants (dict): name -> (description, config overrides, default seeds).
        table_variants (tuple[str, ...]): The table's rows, in order.
        iters (int): Training iterations per run.
        train_videos (tuple[int, ...]): Training clips per subset of ``layouts``.
        test_videos (int): Test clips per subset.
    """
    description: str
    layouts: Dict[str, dict]
    variants: Dict[str, Tuple[str, dict, Tuple[int, ...]]]
    table_variants: Tuple[str, ...]
    iters: int
    train_videos: Tuple[int, ...]
    test_videos: int

    @property
    def subsets(self) -> Tuple[str, ...]:
        """tuple[str, ...]: The subsets trained and tested, in the demo config's order."""
        return tuple(s for s in SUBSETS if s in self.layouts)


BENCHMARKS = {
    'demo': Benchmark("make demo's S4 + MS3 data, trained together", DATA_LAYOUTS, VARIANTS,
                      TABLE_VARIANTS, ITERS, (640, 480), 24),
    'ms3_hard': Benchmark('MS3-like clips: 2-3 sounding objects of 8 categories among 2 silent '
                          'look-alikes, binary masks only', HARD_LAYOUTS, HARD_VARIANTS,
                          tuple(HARD_VARIANTS), 1000, (800, ), 32),
}


def benchmark_config(benchmark: str, out: str, iters: int) -> Config:
    """The demo config on a benchmark's data in ``{out}/data``, with its subsets only.

    Args:
        benchmark (str): A key of :data:`BENCHMARKS`.
        out (str): The ablation folder.
        iters (int): Training iterations.

    Returns:
        Config: The config (without a variant's overrides).
    """
    bench = BENCHMARKS[benchmark]
    cfg = build_config(CONFIG, out, iters)
    if bench.subsets != SUBSETS:  # one subset: its dataset instead of the concatenation
        (subset, ) = bench.subsets
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            loader.dataset = loader.dataset.datasets[SUBSETS.index(subset)]
    return cfg


def _run_dir(out: str, variant: str, seed: int) -> str:
    return osp.join(out, 'runs', f'{variant}_s{seed}')


def _data_spec(benchmark: str, train_videos: Sequence[int], test_videos: int,
               seed: int) -> dict:
    """What ``data/done.json`` records (the demo benchmark's record names no benchmark)."""
    spec = dict(train_videos=list(train_videos), test_videos=test_videos, seed=seed)
    return spec if benchmark == 'demo' else dict(spec, benchmark=benchmark)


def run_variant(out: str, variant: str, seed: int, iters: Optional[int] = None,
                benchmark: str = 'demo') -> dict:
    """Trains and tests one variant with one seed (in this process) on ``{out}/data``.

    Args:
        out (str): The ablation folder (absolute), holding the data (and its
            ``data/done.json``).
        variant (str): A key of the benchmark's variants.
        seed (int): The training seed.
        iters (int, optional): Training iterations; defaults to the benchmark's.
        benchmark (str): A key of :data:`BENCHMARKS`. Defaults to ``'demo'``.

    Returns:
        dict: What ``runs/{variant}_s{seed}/result.json`` holds: ``variant``, ``seed``,
        ``benchmark``, ``inference`` (the configured rule), ``metrics`` (per rule, per
        subset), ``recall`` (per subset, :func:`~.scoring.object_recall`), ``activity``,
        ``iterations``, ``seconds`` and ``options``.

    Raises:
        FileNotFoundError: the data were not written (no ``data/done.json``).
    """
    bench = BENCHMARKS[benchmark]
    iters = bench.iters if iters is None else iters
    _, options, _ = bench.variants[variant]
    marker = osp.join(out, 'data', 'done.json')
    if not osp.exists(marker):
        raise FileNotFoundError(f'{marker} not found: write the data first (run_ablation)')
    with open(marker) as f:
        spec = json.load(f)
    start = time.time()
    run_dir = _run_dir(out, variant, seed)
    cfg = benchmark_config(benchmark, out, iters)
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
        metrics[name] = per_subset(scores, bench.subsets)
    head.test_cfg['inference'] = rule
    plans = planned_test_clips(spec['train_videos'], spec['test_videos'], spec['seed'],
                               bench.layouts)
    result = dict(variant=variant, seed=seed, benchmark=benchmark, inference=rule,
                  metrics=metrics, recall=object_recall(runner, cfg.test_dataloader, plans),
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


def summarize(results: Sequence[dict], variants: Sequence[str],
              benchmark: str = 'demo') -> Tuple[str, Dict[str, dict]]:
    """The markdown table (mean over seeds ± half the range) and its JSON form.

    Args:
        results (Sequence[dict]): Run results (as :func:`run_variant` returns).
        variants (Sequence[str]): The rows, in order; variants without results are left out.
        benchmark (str): A key of :data:`BENCHMARKS`. Defaults to ``'demo'``.

    Returns:
        tuple[str, dict[str, dict]]: The table and, per variant, its description, rule,
        seeds and the per-seed values of every column. A subset's recall column appears when
        every run of the table has it.
    """
    bench = BENCHMARKS[benchmark]
    subsets = bench.subsets
    with_recall = bool(results) and all('recall' in r for r in results)
    head = ['variant', 'seeds']
    for subset in subsets:
        name = subset.upper()
        head += [f'{name} mJ', f'{name} mF'] + ([f'{name} recall'] if with_recall else [])
    head += ['AQDL ≠ 0', 'AQML ≠ 0', '\\|S1\\|', '\\|S2\\|',
             'other rule: ' + ' / '.join(f'{s.upper()} mJ' for s in subsets)]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    summary = {}
    for variant in variants:
        runs = [r for r in results if r['variant'] == variant]
        if not runs:
            continue
        rule = runs[0]['inference']
        other = next(k for k in runs[0]['metrics'] if k != rule)
        cells, row = [], {}
        for subset in subsets:
            for metric in ('mJ', 'mF'):
                values = [r['metrics'][rule][subset][metric] for r in runs]
                row[f'{subset}/{metric}'] = values
                cells.append(_fmt(values))
            if with_recall:
                values = [r['recall'][subset]['recall'] for r in runs]
                row[f'{subset}/recall'] = values
                cells.append(_fmt(values))
        for key in ('loss_aqdl_nonzero', 'loss_aqml_nonzero', 'aqdl_s1_mean', 'aqml_s2_mean'):
            values = [r['activity'][key] for r in runs if key in r['activity']]
            row[key] = values
            cells.append(_fmt(values, 2) if values else 'off')
        other_cell = ' / '.join(
            _fmt([r['metrics'][other][s]['mJ'] for r in runs]) for s in subsets)
        row[f'{other}/mJ'] = {s: [r['metrics'][other][s]['mJ'] for r in runs] for s in subsets}
        seeds = ','.join(str(r['seed']) for r in runs)
        lines.append(f'| {variant} | {seeds} | ' + ' | '.join(cells) +
                     f' | {other}: {other_cell} |')
        summary[variant] = dict(description=bench.variants[variant][0], inference=rule,
                                seeds=[r['seed'] for r in runs], **row)
    return '\n'.join(lines) + '\n', summary


def run_ablation(out: str, variants: Optional[Sequence[str]] = None,
                 seeds: Optional[Sequence[int]] = None, iters: Optional[int] = None,
                 train_videos: Optional[Sequence[int]] = None,
                 test_videos: Optional[int] = None,
                 data_seed: int = 0, train: bool = True,
                 run_command: Optional[Callable[[str, int], List[str]]] = None,
                 benchmark: str = 'demo') -> Dict[str, dict]:
    """Writes the data once, trains the missing runs, and writes ``table.md`` / ``table.json``.

    Args:
        out (str): The ablation folder (absolute); one benchmark per folder.
        variants (Sequence[str], optional): Keys of the benchmark's variants. Defaults to
            its table's rows.
        seeds (Sequence[int], optional): Seeds for every variant (default: each variant's).
        iters (int, optional): Training iterations per run (default: the benchmark's).
        train_videos (Sequence[int], optional): Training videos per subset (default: the
            benchmark's).
        test_videos (int, optional): Test videos per subset (default: the benchmark's).
        data_seed (int): The data seed.
        train (bool): Write the data and train the missing runs; False only summarises the
            runs that exist. Defaults to True.
        run_command (Callable[[str, int], list[str]], optional): The command that runs
            :func:`run_variant` for ``(variant, seed)`` in its own process (run from the
            repository root, its output in ``runs/{variant}_s{seed}.log``). Needed when a run
            is missing and ``train`` is True.
        benchmark (str): A key of :data:`BENCHMARKS`. Defaults to ``'demo'``.

    Returns:
        dict[str, dict]: The summary of :func:`summarize` (also in ``table.json``).

    Raises:
        KeyError: an unknown benchmark or variant.
        RuntimeError: a run failed.
        ValueError: a finished run was trained on another benchmark, with other iterations
            or options than asked.
    """
    if benchmark not in BENCHMARKS:
        raise KeyError(f'unknown benchmark {benchmark!r}; expected one of {sorted(BENCHMARKS)}')
    bench = BENCHMARKS[benchmark]
    variants = bench.table_variants if variants is None else variants
    unknown = [v for v in variants if v not in bench.variants]
    if unknown:
        raise KeyError(f'variants {unknown} are not variants of the {benchmark} benchmark '
                       f'({sorted(bench.variants)})')
    iters = bench.iters if iters is None else iters
    train_videos = bench.train_videos if train_videos is None else tuple(train_videos)
    test_videos = bench.test_videos if test_videos is None else test_videos
    if len(train_videos) != len(bench.subsets):
        raise ValueError(f'train_videos needs one count per subset {bench.subsets}, got '
                         f'{list(train_videos)}')
    os.makedirs(out, exist_ok=True)
    marker = osp.join(out, 'data', 'done.json')
    data_spec = _data_spec(benchmark, train_videos, test_videos, data_seed)
    if train and (not osp.exists(marker) or json.load(open(marker)) != data_spec):
        size = Config.fromfile(CONFIG).test_pipeline[0]['scale'][0]
        print(f'[ablation] writing the {benchmark} data to {out}/data')
        make_data(out, train_videos, test_videos, data_seed, size, bench.layouts)
        with open(marker, 'w') as f:
            json.dump(data_spec, f)

    results = []
    for variant in variants:
        for seed in (seeds or bench.variants[variant][2]):
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
            r = results[-1]
            if r.get('benchmark', 'demo') != benchmark:
                raise ValueError(f'{path} is a run of the {r["benchmark"]} benchmark, not '
                                 f'{benchmark}: use another --out')
            if r['iterations'] != iters:
                raise ValueError(f'{path} was trained for {r["iterations"]} '
                                 f'iterations, not --iters {iters}: use another --out')
            options = json.loads(json.dumps(bench.variants[variant][1]))
            if r['options'] != options:
                raise ValueError(f'{path} was trained with options {r["options"]}, '
                                 f'but {variant} is now {options}: delete the run to redo it')
            print(f'[ablation] {variant} seed {seed}: ' + ', '.join(
                f'{s} mJ {r["metrics"][r["inference"]][s]["mJ"]:.3f}' for s in bench.subsets))
    text, summary = summarize(results, variants, benchmark)
    with open(osp.join(out, 'table.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out, 'table.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print('\n' + text)
    return summary
