"""tools/test.py --robustness (RobustnessTestLoop) on the short training run: one positive
pass and one per negative condition, one table, the same numbers through the config switch
and with two processes."""
import os.path as osp

import pytest
from tool_runs import free_port, read_test_metrics, run_tool, write_config

CONDITIONS = ('silence', 'noise', 'off-screen')


def _harmonic(a, b):
    return 0.0 if a + b == 0 else 2 * a * b / (a + b)


@pytest.fixture(scope='module')
def robust_run(trained, tested, tmp_path_factory):
    """--robustness on the short run's checkpoint, beside the plain test of ``tested``."""
    config, work_dir, _ = trained
    tmp = tmp_path_factory.mktemp('robustness')
    ckpt = osp.join(work_dir, 'iter_16.pth')
    robust = run_tool(['test.py', config, ckpt, '--robustness', '--work-dir',
                       str(tmp / 'robust'), '--out', str(tmp / 'preds')], cwd=tmp)
    assert robust.returncode == 0, robust.stdout[-3000:] + robust.stderr[-3000:]
    return config, ckpt, tmp, tested[1], read_test_metrics(str(tmp / 'robust')), robust


def test_robustness_reports_fpr_and_g_scores(robust_run):
    _, _, tmp, plain, robust, proc = robust_run
    for key in ('mJ', 'mF', 'mF_dataset', 'frames'):  # the positive pass is the plain test
        assert robust[key] == pytest.approx(plain[key]), key
    fprs = [robust[f'FPR/{c}'] for c in CONDITIONS]
    assert all(0 <= v <= 1 for v in fprs)
    assert robust['G-FPR'] == pytest.approx(sum(fprs) / 3)
    assert robust['G-mJ'] == pytest.approx(_harmonic(robust['mJ'], 1 - robust['G-FPR']))
    assert robust['G-mF'] == pytest.approx(_harmonic(robust['mF'], 1 - robust['G-FPR']))
    log = proc.stdout + proc.stderr
    assert 'negative-audio robustness' in log and 'FPR off-screen' in log
    # --out: the positive PNGs at the masks' paths, each condition's under its own folder.
    preds = tmp / 'preds'
    positive = [p for p in preds.rglob('*.png') if p.relative_to(preds).parts[0]
                not in CONDITIONS]
    assert len(positive) == 15
    for condition in CONDITIONS:
        assert len(list((preds / condition).rglob('*.png'))) == 15


def test_config_switch_gives_the_same_numbers(robust_run):
    config, ckpt, tmp, _, robust, _ = robust_run
    proc = run_tool(['test.py', config, ckpt, '--work-dir', str(tmp / 'switch'),
                     '--cfg-options', 'test_cfg.type=RobustnessTestLoop',
                     'test_cfg.conditions=[noise]'], cwd=tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    switch = read_test_metrics(str(tmp / 'switch'))
    assert switch['FPR/noise'] == pytest.approx(robust['FPR/noise'])
    assert 'FPR/silence' not in switch
    assert switch['G-FPR'] == pytest.approx(robust['FPR/noise'])


def test_two_processes_equal_one(robust_run):
    config, ckpt, tmp, _, robust, _ = robust_run
    proc = run_tool(['dist_test.sh', config, ckpt, '2', '--robustness', '--work-dir',
                     str(tmp / 'two')], cwd=tmp, env_extra=dict(PORT=free_port()))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    two = read_test_metrics(str(tmp / 'two'))
    for key in ('mJ', 'G-FPR', 'G-mJ', 'G-mF') + tuple(f'FPR/{c}' for c in CONDITIONS):
        assert two[key] == pytest.approx(robust[key], abs=1e-6), key


def test_robustness_options_need_robustness(robust_run):
    config, ckpt, tmp, _, _, _ = robust_run
    proc = run_tool(['test.py', config, ckpt, '--noise-color', 'pink'], cwd=tmp)
    assert proc.returncode == 2 and '--robustness' in proc.stderr
    proc = run_tool(['test.py', config, ckpt, '--robustness', 'thunder'], cwd=tmp)
    assert proc.returncode == 2 and 'invalid choice' in proc.stderr


def test_off_screen_without_categories_stops_before_the_first_pass(ms3_root, tiny_checkpoint,
                                                                   tmp_path):
    # MS3's CSV has no categories: without category_file, off-screen audio cannot be chosen,
    # and the run stops at start, naming the dataset and the remedy.
    config = tmp_path / 'ms3.py'
    config.write_text(write_config(tmp_path / 'base.py', ms3_root) and
                      f"_base_ = [{str(tmp_path / 'base.py')!r}]\n"
                      "test_dataloader = dict(dataset=dict(type='AVSBenchMS3Dataset'))\n")
    proc = run_tool(['test.py', str(config), tiny_checkpoint, '--robustness', 'off-screen',
                     '--work-dir', str(tmp_path / 'work')], cwd=tmp_path)
    assert proc.returncode != 0
    assert 'have no sounding_categories' in proc.stderr and 'category_file' in proc.stderr
    assert 'pass 1 of' not in proc.stdout + proc.stderr
