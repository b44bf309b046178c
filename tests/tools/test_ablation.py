"""tools/ablation.py run as a user runs it: ``--no-train`` summarises the finished runs of
``--out`` with the package's ``run_ablation`` (tested in tests/demo/test_ablation_variants.py)."""
import json

from tool_runs import run_tool

from projects.transavs.demo.ablation import ITERS


def test_no_train_summarises_finished_runs(tmp_path):
    scores = {s: dict(mJ=v, mF=v + 0.05, mF_dataset=v) for s, v in (('s4', 0.8), ('ms3', 0.6))}
    result = dict(variant='default', seed=0, inference='eq14', iterations=ITERS, options={},
                  metrics=dict(eq14=scores, threshold=scores), activity={})
    run_dir = tmp_path / 'out' / 'runs' / 'default_s0'
    run_dir.mkdir(parents=True)
    (run_dir / 'result.json').write_text(json.dumps(result))
    proc = run_tool(['ablation.py', '--out', 'out', '--no-train', '--variants', 'default',
                     'no_aqdl'], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '[ablation] default seed 0: s4 mJ 0.800, ms3 mJ 0.600' in proc.stdout
    table = (tmp_path / 'out' / 'table.md').read_text()
    assert table in proc.stdout and '| default | 0 | 0.800 | 0.850 | 0.600 | 0.650 |' in table
    assert 'no_aqdl' not in table  # no finished run
    assert list(json.loads((tmp_path / 'out' / 'table.json').read_text())) == ['default']
    assert not (tmp_path / 'out' / 'data').exists()  # --no-train writes no data


def test_hard_benchmark_end_to_end(tmp_path):
    """``--benchmark ms3_hard`` writes its data (MS3 with silent look-alikes), trains a run in
    its own process and scores mJ / mF and the per-object recall on the re-drawn plans."""
    args = ['ablation.py', '--benchmark', 'ms3_hard', '--out', 'out', '--iters', '3',
            '--train-videos', '4', '--test-videos', '2']
    proc = run_tool(args + ['--variants', 'semantic', '--seeds', '0'], cwd=tmp_path,
                    timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / 'out'
    assert sorted(p.name for p in (out / 'data').iterdir()) == ['done.json', 'ms3']
    result = json.loads((out / 'runs' / 'semantic_s0' / 'result.json').read_text())
    assert result['benchmark'] == 'ms3_hard' and result['iterations'] == 3
    recall = result['recall']['ms3']
    assert recall['objects'] >= 2 * 5 * 2  # 2 clips x 5 frames x at least 2 sounding objects
    assert 0 <= recall['recall'] <= 1
    assert set(result['metrics']['eq14']) == {'ms3'}
    table = (out / 'table.md').read_text()
    assert table.startswith('| variant | seeds | MS3 mJ | MS3 mF | MS3 recall |')
    assert '| semantic | 0 |' in table
