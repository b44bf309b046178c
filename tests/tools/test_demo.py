"""tools/demo.py run as a user runs it, on a few clips for two iterations: data, training,
the evaluations (binary and semantic), the pictures and the report (the pieces are tested in
tests/demo/test_demo_package.py)."""
import json

import pytest
from tool_runs import run_tool

from projects.transavs.datasets.synthetic import plan_dataset
from projects.transavs.demo import every_object_reference


def test_tiny_demo_run(tmp_path):
    # 3 test clips per subset: off-screen audio needs another clip with other categories.
    proc = run_tool(['demo.py', '--out', 'out', '--iters', '2', '--train-videos', '2', '2',
                     '--test-videos', '3', '--pictures', '1', '--seed', '3', '--avss-iters', '2',
                     '--avss-train-videos', '1', '1', '1'], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / 'out'
    assert '"every object" reference on G-mJ' in proc.stdout and str(out) in proc.stdout
    assert sorted(p.name for p in (out / 'pictures').iterdir()) == [
        'avss_syn_v1m_000001.png', 'avss_syn_v1s_000001.png', 'avss_syn_v2_000001.png',
        'ms3_syn_ms3_000002.png', 's4_syn_s4_000002.png']
    metrics = json.loads((out / 'metrics.json').read_text())
    assert metrics['iterations'] == 2 and set(metrics['activity']) >= {'loss_aqdl_nonzero'}
    rows = metrics['rows']
    assert list(rows) == ['TransAVS (tiny, with audio)', 'segment every object']
    for row in rows.values():
        assert all(0 <= row[s][m] <= 1 for s in ('s4', 'ms3') for m in ('mJ', 'mF'))
    # The reference row is that of the test clips written with --seed (MS3: seed + 1).
    plans = {'s4': plan_dataset('s4', ['train', 'test'], [2, 3], 3, 5, (1, 2))[2:],
             'ms3': plan_dataset('ms3', ['train', 'test'], [2, 3], 4, 5, (2, 2), (2, 2))[2:]}
    expected = every_object_reference(plans, 96)
    for subset in ('s4', 'ms3'):
        assert rows['segment every object'][subset] == pytest.approx(expected[subset])
    # Negative audio: the three conditions per subset, for the model and the reference.
    robust = metrics['robustness']
    assert list(robust) == ['TransAVS (tiny)', 'segment every object']
    for method in robust.values():
        for subset in ('s4', 'ms3'):
            fprs = [method[subset][f'FPR/{c}'] for c in ('silence', 'noise', 'off-screen')]
            assert all(0 <= v <= 1 for v in fprs)
            assert method[subset]['G-FPR'] == pytest.approx(sum(fprs) / 3)
            assert 0 <= method[subset]['G-mJ'] <= 1
    assert robust['TransAVS (tiny)']['s4']['mJ'] == pytest.approx(
        rows['TransAVS (tiny, with audio)']['s4']['mJ'])
    avss = metrics['avss']
    assert avss['iterations'] == 2
    assert list(avss['rows']) == ['TransAVS (tiny, with audio)']
    row = avss['rows']['TransAVS (tiny, with audio)']
    assert row['frames'] == 90  # three v1s, v1m and v2 test clips of 10 (padded) frames
    assert 0 <= row['mIoU'] <= row['mIoU_present'] <= 1
    assert all(0 <= avss['robustness'][f'FPR/{c}'] <= 1 for c in ('silence', 'noise',
                                                                  'off-screen'))
    text = (out / 'metrics.md').read_text()
    assert text.startswith('# TransAVS demo') and 'Test clips: 3 per subset' in text
    assert '### Negative audio (AVSBench-Robust)' in text and 'FPR off-screen' in text
    assert '2 iterations of 4 clips' in text and text in proc.stdout
    assert '## AVSBench-semantic (71 classes)' in text
    assert '2 iterations of 2 clips of 10 frames' in text
    assert '[demo] AVSS: mIoU over the classes present' in proc.stdout


def test_demo_without_the_semantic_part(tmp_path):
    proc = run_tool(['demo.py', '--out', 'out', '--iters', '1', '--train-videos', '1', '1',
                     '--test-videos', '3', '--pictures', '0', '--seed', '1', '--no-avss'],
                    cwd=tmp_path, timeout=300)  # seed 1: every test clip has an off-screen donor
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'avss' not in json.loads((tmp_path / 'out' / 'metrics.json').read_text())
    assert not (tmp_path / 'out' / 'data' / 'avss').exists()
