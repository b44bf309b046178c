"""tools/demo.py run as a user runs it, on a few clips for two iterations: data, training,
the three evaluations, the pictures and the report (the pieces are tested in
tests/demo/test_demo_package.py)."""
import json

import pytest
from tool_runs import run_tool

from projects.transavs.datasets.synthetic import plan_dataset
from projects.transavs.demo import every_object_reference


def test_tiny_demo_run(tmp_path):
    proc = run_tool(['demo.py', '--out', 'out', '--iters', '2', '--train-videos', '2', '2',
                     '--test-videos', '1', '--pictures', '1', '--seed', '3'], cwd=tmp_path,
                    timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / 'out'
    assert '[demo] with audio, TransAVS' in proc.stdout and str(out) in proc.stdout
    assert sorted(p.name for p in (out / 'pictures').iterdir()) == [
        'ms3_syn_ms3_000002.png', 's4_syn_s4_000002.png']
    metrics = json.loads((out / 'metrics.json').read_text())
    assert metrics['iterations'] == 2 and set(metrics['activity']) >= {'loss_aqdl_nonzero'}
    rows = metrics['rows']
    assert list(rows) == ['TransAVS (tiny, with audio)', 'same model, audio silenced',
                          'segment every object']
    for row in rows.values():
        assert all(0 <= row[s][m] <= 1 for s in ('s4', 'ms3') for m in ('mJ', 'mF'))
    # The reference row is that of the test clips written with --seed (MS3: seed + 1).
    plans = {'s4': plan_dataset('s4', ['train', 'test'], [2, 1], 3, 5, (1, 2))[2:],
             'ms3': plan_dataset('ms3', ['train', 'test'], [2, 1], 4, 5, (2, 2), (2, 2))[2:]}
    expected = every_object_reference(plans, 96)
    for subset in ('s4', 'ms3'):
        assert rows['segment every object'][subset] == pytest.approx(expected[subset])
    text = (out / 'metrics.md').read_text()
    assert text.startswith('# TransAVS demo') and 'Test clips: 1 per subset' in text
    assert '2 iterations of 4 clips' in text and text in proc.stdout
