"""The pieces of `make demo` (``projects.transavs.demo``): its config, its data, the
audio-blind "every object" reference, and the report texts."""
import os
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.logging import MessageHub

from projects.transavs.datasets.synthetic import plan_dataset
from projects.transavs.demo import (
    AVSS_CONFIG,
    CONFIG,
    SUBSETS,
    activity_text,
    build_avss_config,
    build_config,
    every_object_reference,
    loss_activity,
    make_avss_data,
    make_data,
    per_subset,
    robustness_md,
    semantic_table,
    table,
)
from projects.transavs.demo.run import _reference_robustness


def test_config_points_at_the_data(tmp_path, repo_root):
    assert CONFIG == osp.join(repo_root, 'configs', 'transavs_tiny_demo.py')
    out = str(tmp_path)
    default = build_config(CONFIG, out, None)
    cfg = build_config(CONFIG, out, 90)
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        assert [ds.data_root for ds in loader.dataset.datasets] == [
            osp.join(out, 'data', s) for s in SUBSETS]
    assert cfg.work_dir == osp.join(out, 'work_dir')
    assert cfg.train_cfg.max_iters == 90 and cfg.train_cfg.val_interval == 91
    assert cfg.param_scheduler[0].end == 90 and cfg.default_hooks.checkpoint.interval == 90
    assert cfg.custom_hooks[0].n_iter == 5  # 90 // 18
    assert default.train_cfg.max_iters == Config.fromfile(CONFIG).train_cfg.max_iters


def test_make_data_and_the_every_object_reference(tmp_path):
    plans = make_data(str(tmp_path), (2, 3), 2, seed=4, size=48)
    assert sorted(os.listdir(tmp_path / 'data')) == ['ms3', 's4']
    assert [p.name for p in plans['s4']] == ['syn_s4_000002', 'syn_s4_000003']
    assert [p.name for p in plans['ms3']] == ['syn_ms3_000003', 'syn_ms3_000004']
    assert all(p.split == 'test' for ps in plans.values() for p in ps)
    for p in plans['s4']:  # 1 sounding + 1-2 silent objects
        assert len(p.sounding_categories) == 1 and 2 <= len(p.objects) <= 3
    for p in plans['ms3']:  # 2 sounding + 2 silent objects; MS3 uses seed + 1
        assert len(p.sounding_categories) == 2 and len(p.objects) == 4 and p.seed == 5
    with open(tmp_path / 'data' / 's4' / 's4_meta_data.csv') as f:
        assert [line.split(',')[-1].strip() for line in f][1:] == ['train'] * 2 + ['test'] * 2

    reference = every_object_reference(plans, 48)
    for subset in SUBSETS:  # silent objects are predicted too: not perfect
        assert reference[subset]['frames'] == 10
        assert 0 < reference[subset]['mJ'] < 0.95 and 0 < reference[subset]['mF'] < 1
    # Without silent objects, "every object" is the ground truth.
    alone = plan_dataset('s4', ['test'], [2], seed=0, num_categories=5, distractors=(0, 0))
    perfect = every_object_reference({'s4': alone}, 48)['s4']
    assert perfect['mJ'] == pytest.approx(1.0) and perfect['mF'] == pytest.approx(1.0)


def test_planned_test_clips_are_the_written_ones(tmp_path):
    """The ablation scores per-object recall on plans re-made without writing: they must be
    the clips written, for the demo's layouts and the harder set's."""
    from projects.transavs.demo.data import HARD_LAYOUTS, planned_test_clips
    for layouts in (None, HARD_LAYOUTS):
        counts = (2, 2) if layouts is None else (3, )
        written = make_data(str(tmp_path / str(len(counts))), counts, 2, seed=1, size=32,
                            layouts=layouts)
        assert planned_test_clips(counts, 2, 1, layouts) == written
    assert sorted(os.listdir(tmp_path / '1' / 'data')) == ['ms3']


def test_loss_activity_skips_the_first_tenth():
    hub = MessageHub.get_instance('test_loss_activity')
    for i in range(20):
        hub.update_scalar('train/loss_aqdl', 1.0 if i < 2 or i >= 15 else 0.0)
        hub.update_scalar('train/aqdl_s1', 2.0 if i >= 2 else 9.0)
    stats = loss_activity(hub)
    assert stats['loss_aqdl_nonzero'] == pytest.approx(5 / 18)  # iterations 2..19
    assert stats['aqdl_s1_mean'] == pytest.approx(2.0)
    assert 'loss_aqml_nonzero' not in stats  # AQML off: nothing logged
    assert 'AQML off' in activity_text(stats)
    assert 'AQDL non-zero in 28% of the iterations' in activity_text(stats)
    assert '(mean |S1| 2.00 queries per frame)' in activity_text(stats)


def test_table_and_per_subset():
    metrics = {f'{s}/{m}': v for s, base in (('s4', 0.5), ('ms3', 0.25))
               for m, v in (('mJ', base), ('mF', base + 0.1), ('mF_dataset', base + 0.2))}
    rows = per_subset(metrics)
    assert rows == dict(s4=dict(mJ=0.5, mF=0.6, mF_dataset=0.7),
                        ms3=dict(mJ=0.25, mF=0.35, mF_dataset=0.45))
    text = table([('model', rows), ('other', rows)])
    lines = text.splitlines()
    assert lines[0] == '| method | S4 mJ | S4 mF | MS3 mJ | MS3 mF |'
    assert lines[2] == '| model | 0.500 | 0.600 | 0.250 | 0.350 |'
    assert len(lines) == 4 and text.endswith('\n')


def test_semantic_config_data_and_table(tmp_path, repo_root):
    assert AVSS_CONFIG == osp.join(repo_root, 'configs', 'transavs_tiny_avss_demo.py')
    out = str(tmp_path)
    cfg = build_avss_config(AVSS_CONFIG, out, 36)
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        assert loader.dataset.type == 'AVSBenchSemanticDataset'
        assert loader.dataset.data_root == osp.join(out, 'data', 'avss')
    assert cfg.work_dir == osp.join(out, 'work_dir_avss')
    assert cfg.train_cfg.max_iters == 36 and cfg.custom_hooks[0].n_iter == 2
    assert cfg.model.decode_head.num_classes == 71 and cfg.model.decode_head.clip_seconds == 10

    plans = make_avss_data(out, (2, 1, 1), 1, seed=0, frame_size=(64, 48), num_categories=5)
    assert [(p.subset, p.split) for p in plans] == [('v1s', 'test'), ('v1m', 'test'),
                                                    ('v2', 'test')]
    assert all(p.seed == 2 for p in plans)  # the semantic set uses seed + 2
    assert sorted(os.listdir(tmp_path / 'data' / 'avss')) == [
        'label2idx.json', 'metadata.csv', 'v1m', 'v1s', 'v2']

    rows = [('model', dict(mIoU=0.05, mF=0.06, mIoU_present=0.5, mF_present=0.6))]
    lines = semantic_table(rows).splitlines()
    assert lines[0] == '| method | mIoU | mF | mIoU (classes present) | mF (classes present) |'
    assert lines[2] == '| model | 0.050 | 0.060 | 0.500 | 0.600 |'


def test_robustness_table_and_the_every_object_reference(tmp_path):
    metrics = {'s4/mJ': 0.5, 's4/mF': 0.6, 's4/FPR/silence': 0.1, 's4/G-FPR': 0.1,
               's4/G-mJ': 0.642, 's4/G-mF': 0.72}
    lines = robustness_md([('model', metrics)], ['silence'], subsets=['s4']).splitlines()
    assert lines[0] == ('| method | subset | mJ | mF | FPR silence | G-FPR | G-mJ | G-mF |')
    assert lines[2] == '| model | S4 | 0.500 | 0.600 | 0.100 | 0.100 | 0.642 | 0.720 |'
    semantic = robustness_md([('model', dict(mIoU=0.1, mF=0.2, **{'FPR/noise': 0.3},
                                             **{'G-FPR': 0.3, 'G-mIoU': 0.2, 'G-mF': 0.3}))],
                             ['noise'], ('mIoU', 'mF')).splitlines()
    assert semantic[0] == '| method | mIoU | mF | FPR noise | G-FPR | G-mIoU | G-mF |'

    # "every object" does not listen: its FPR is the objects' share of the frame, the same
    # under every condition, and its G-scores follow from it.
    plans = make_data(str(tmp_path), (1, 1), 2, seed=4, size=48)
    blind = every_object_reference(plans, 48)
    robust = _reference_robustness(blind)
    for subset in SUBSETS:
        fpr = blind[subset]['FPR']
        assert 0 < fpr < 0.6  # the objects cover part of the frame
        assert robust[f'{subset}/G-FPR'] == pytest.approx(fpr)
        assert robust[f'{subset}/G-mJ'] == pytest.approx(
            2 * blind[subset]['mJ'] * (1 - fpr) / (blind[subset]['mJ'] + 1 - fpr))
