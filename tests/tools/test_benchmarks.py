"""The benchmark tools run as a user runs them, on the CPU, and report what they promise (the
measuring is tested in tests/benchmark/)."""
import json

from tool_runs import ROOT, run_tool

from projects.transavs.benchmark import SOURCES


def test_benchmark_tiny_cpu(tmp_path):
    out = tmp_path / 'bench.json'
    proc = run_tool(['benchmark.py', f'{ROOT}/configs/transavs_tiny_s4.py', '--device', 'cpu',
                     '--batch-clips', '1', '--iters', '1', '--warmup', '1', '--size', '64', '48',
                     '--json', str(out)], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text())
    assert (data['device'], data['batch_clips'], data['size'], data['amp']) == (
        'CPU', 1, [64, 48], 'none')
    fast, ref = data['results']
    assert (fast['setting'], ref['setting']) == ('fast', 'reference')
    for r in (fast, ref):
        assert r['step_s'] > 0 and r['clips_per_s'] > 0 and r['infer_frames_per_s'] > 0
        assert r['gflops_per_frame'] > 0 and r['mfu'] is None  # no known CPU peak
        # 'components' targets from the instance maps of the config's ClipInstanceTargets
        assert r['aten_ops'] > 0 and (r['graphs'], r['graph_breaks']) == (1, 0)
    assert '1 clips x 5 frames at 64x48, fast = amp none' in proc.stdout
    assert 'fast / reference: training' in proc.stdout and 'GFLOP/frame' in proc.stdout
    assert 'ATen ops / step' in proc.stdout
    assert f'under torch.compile (torch._dynamo.explain): {fast["graphs"]} graph(s), ' \
        f'{fast["graph_breaks"]} graph break(s)' in proc.stdout
    assert 'break:' not in proc.stdout


def test_benchmark_data_sources(tmp_path):
    proc = run_tool(['benchmark_data.py', '--config', f'{ROOT}/configs/transavs_tiny_s4.py',
                     '--clips', '3', '--size', '64'], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 's4 test, pipeline of transavs_tiny_s4.py' in proc.stdout
    assert 'clips/s per worker' in proc.stdout
    rows = [[cell.strip() for cell in line.strip('|').split('|')]
            for line in proc.stdout.splitlines() if line.startswith('|')]
    body = rows[1:]  # after the header row
    assert [r[0] for r in body] == list(SOURCES)
    assert all(r[1] == '3' and float(r[2]) >= 0 and float(r[3]) > 0 for r in body)
