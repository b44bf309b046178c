"""The ablation (``projects.transavs.demo.ablation``): every variant names real config keys
and builds; the summary table; finished runs that do not match are refused."""
import pytest
from mmengine.config import Config
from mmseg.registry import HOOKS, MODELS

from projects.transavs import demo
from projects.transavs.demo import ablation


def _has_path(cfg, dotted: str) -> bool:
    node = cfg
    for part in dotted.split('.'):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return False
            node = node[int(part)]
        elif part in node:
            node = node[part]
        else:
            return False
    return True


@pytest.mark.parametrize('benchmark, variant', [
    (name, variant) for name, bench in ablation.BENCHMARKS.items() for variant in bench.variants])
def test_variant_options_name_existing_keys_and_build(benchmark, variant):
    """A misspelt key would silently add a new, unread config entry: every key's parent must
    exist, keys of the dicts read with ``.get`` (``train_cfg`` / ``test_cfg``) must exist,
    and the model and the hooks must build (constructors refuse unknown arguments)."""
    cfg = Config.fromfile(demo.CONFIG)
    _, options, seeds = ablation.BENCHMARKS[benchmark].variants[variant]
    assert seeds
    for key in options:
        parent = key.rpartition('.')[0]
        assert _has_path(cfg, parent), key
        if {'train_cfg', 'test_cfg'} & set(parent.split('.')):
            assert _has_path(cfg, key), key
    cfg.merge_from_dict(options, allow_list_keys=True)
    model = MODELS.build(cfg.model)
    assert model.decode_head.criterion is not None
    for hook in cfg.custom_hooks:
        HOOKS.build(hook)


def test_union_variant_is_the_old_formulation():
    cfg = Config.fromfile(demo.CONFIG)
    cfg.merge_from_dict(ablation.VARIANTS['union'][1], allow_list_keys=True)
    head = MODELS.build(cfg.model).decode_head
    criterion = head.criterion
    assert criterion.gt_instances == 'union' and criterion.loss_mask is None
    assert criterion.confidence == 'foreground' and not criterion.loss_aqdl.normalize
    assert head.test_cfg['inference'] == 'threshold'


def test_hard_benchmark_config_and_variants(tmp_path):
    """ms3_hard trains and tests MS3 alone; its variants change what they say on top of the
    paper's setting (binary 'semantic' targets, S1 / S2 by the sounding classes)."""
    cfg = ablation.benchmark_config('ms3_hard', str(tmp_path), 50)
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        assert loader.dataset.type == 'AVSBenchMS3Dataset'
        assert loader.dataset.data_root == str(tmp_path / 'data' / 'ms3')
    assert cfg.train_cfg.max_iters == 50
    assert ablation.BENCHMARKS['ms3_hard'].subsets == ('ms3', )

    def built(variant):
        cfg = Config.fromfile(demo.CONFIG)
        cfg.merge_from_dict(ablation.HARD_VARIANTS[variant][1], allow_list_keys=True)
        return MODELS.build(cfg.model).decode_head, HOOKS.build(cfg.custom_hooks[0])

    head, hook = built('semantic')
    assert (head.criterion.gt_instances, head.criterion.confidence) == ('semantic', 'sounding')
    assert head.criterion.aqml_stride == 4 and head.aqdl_queries == 'final'
    assert hook.thresholds(10_000) == (0.65, 0.65)
    assert built('components')[0].criterion.gt_instances == 'components'
    assert built('semantic_off')[0].criterion.has_confidence_losses is False
    assert built('aqdl_audio')[0].aqdl_queries == 'audio'
    assert built('aqml_full')[0].criterion.aqml_stride == 1
    assert built('conf_max_class')[0].criterion.confidence == 'max_class'
    assert built('paired')[0].criterion.loss_aqml.frame_reduction == 'paired'
    assert built('fixed_delta1')[1].thresholds(10_000) == (0.6, 0.65)
    assert built('fixed_delta2')[1].thresholds(10_000) == (0.65, 0.6)


def _result(variant, seed, s4, ms3, activity):
    scores = {s: dict(mJ=v, mF=v + 0.05, mF_dataset=v) for s, v in (('s4', s4), ('ms3', ms3))}
    return dict(variant=variant, seed=seed, inference='eq14',
                metrics=dict(eq14=scores, threshold=scores), activity=activity)


def test_summary_table_means_and_spreads():
    active = dict(loss_aqdl_nonzero=1.0, loss_aqml_nonzero=0.5, aqdl_s1_mean=2.0,
                  aqml_s2_mean=2.0)
    results = [_result('default', 0, 0.8, 0.6, active), _result('default', 1, 0.9, 0.7, active),
               _result('no_aqdl_aqml', 0, 0.7, 0.5, {})]
    text, summary = ablation.summarize(results, ['default', 'no_aqdl_aqml'])
    rows = text.strip().splitlines()
    assert len(rows) == 4
    assert rows[2].startswith('| default | 0,1 | 0.850 ± 0.050 | 0.900 ± 0.050 | 0.650 ± 0.050')
    assert '| 1.00 ± 0.00 | 0.50 ± 0.00 |' in rows[2]
    assert rows[3].count('off') == 4  # losses off: no activity columns
    assert summary['default']['s4/mJ'] == [0.8, 0.9]


def test_summary_with_recall_of_the_hard_benchmark():
    scores = {'ms3': dict(mJ=0.5, mF=0.6, mF_dataset=0.6)}
    runs = [dict(variant='semantic', seed=s, inference='eq14', activity={},
                 metrics=dict(eq14=scores, threshold=scores),
                 recall={'ms3': dict(recall=r, objects=100, sounding_queries=1.0)})
            for s, r in ((0, 0.4), (1, 0.6))]
    text, summary = ablation.summarize(runs, ['semantic'], 'ms3_hard')
    header, _, row = text.strip().splitlines()
    assert header.startswith('| variant | seeds | MS3 mJ | MS3 mF | MS3 recall | AQDL')
    assert row.startswith('| semantic | 0,1 | 0.500 ± 0.000 | 0.600 ± 0.000 | 0.500 ± 0.100 |')
    assert summary['semantic']['ms3/recall'] == [0.4, 0.6]


def test_results_of_another_run_length_are_refused(tmp_path):
    """A finished run of another length or of a since changed variant must not enter the
    table as if it were comparable."""
    import json
    run_dir = tmp_path / 'runs' / 'default_s0'
    run_dir.mkdir(parents=True)
    result = _result('default', 0, 0.8, 0.6, {})
    result = dict(result, iterations=ablation.ITERS, options={})
    (run_dir / 'result.json').write_text(json.dumps(result))
    summary = ablation.run_ablation(str(tmp_path), ['default'], train=False)
    assert (tmp_path / 'table.md').exists() and summary['default']['seeds'] == [0]
    (run_dir / 'result.json').write_text(json.dumps(dict(result, options={'x.y': 1})))
    with pytest.raises(ValueError, match='delete the run to redo it'):
        ablation.run_ablation(str(tmp_path), ['default'], train=False)
    (run_dir / 'result.json').write_text(json.dumps(dict(result, iterations=50)))
    expected = f'trained for 50 iterations, not --iters {ablation.ITERS}'
    with pytest.raises(ValueError, match=expected):
        ablation.run_ablation(str(tmp_path), ['default'], train=False)
    # a run of another benchmark (the variant names overlap)
    (run_dir / 'result.json').write_text(json.dumps(dict(result, benchmark='ms3_hard')))
    with pytest.raises(ValueError, match='a run of the ms3_hard benchmark, not demo'):
        ablation.run_ablation(str(tmp_path), ['default'], train=False)
    with pytest.raises(KeyError, match=r"\['default'\] are not variants of the ms3_hard"):
        ablation.run_ablation(str(tmp_path), ['default'], train=False, benchmark='ms3_hard')


def test_a_missing_run_needs_a_command(tmp_path):
    (tmp_path / 'data').mkdir()
    (tmp_path / 'data' / 'done.json').write_text(
        '{"train_videos": [640, 480], "test_videos": 24, "seed": 0}')
    with pytest.raises(ValueError, match='no run_command was given'):
        ablation.run_ablation(str(tmp_path), ['no_aqdl'], seeds=[3])
    summary = ablation.run_ablation(str(tmp_path), ['no_aqdl'], seeds=[3], train=False)
    assert summary == {}  # nothing to summarise, nothing trained
    assert not (tmp_path / 'runs' / 'no_aqdl_s3').exists()
