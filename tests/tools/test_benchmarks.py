"""The benchmark tools run on the CPU and report what they promise."""
from tools import benchmark, benchmark_data


def test_benchmark_tiny_cpu(tmp_path, capsys):
    out = tmp_path / 'bench.json'
    results = benchmark.main(['configs/transavs_tiny_s4.py', '--device', 'cpu',
                              '--batch-clips', '1', '--iters', '1', '--warmup', '1',
                              '--size', '64', '64', '--json', str(out)])
    fast, ref = results
    assert (fast['setting'], ref['setting']) == ('fast', 'reference')
    for r in results:
        assert r['step_s'] > 0 and r['clips_per_s'] > 0 and r['infer_frames_per_s'] > 0
        assert r['params'] > r['trainable'] > 0 or r['params'] == r['trainable'] > 0
        assert r['gflops_per_frame'] > 0 and r['mfu'] is None  # no known CPU peak
    text = capsys.readouterr().out
    assert 'fast / reference: training' in text and 'GFLOP/frame' in text
    assert out.exists()


def test_benchmark_data_sources(capsys):
    rows = benchmark_data.main(['--config', 'configs/transavs_tiny_s4.py', '--clips', '3',
                                '--size', '64'])
    assert [r[0] for r in rows] == list(benchmark_data.SOURCES)
    assert all(r[1] == 3 and r[3] > 0 for r in rows)
    assert 'clips/s per worker' in capsys.readouterr().out
