"""tools/infer.py refuses a non-empty --out (one error line, before the model is built),
replaces an earlier run's outputs with --overwrite, and never a user's own files."""
import os

from tool_runs import run_tool


def test_non_empty_out_and_overwrite(config, tiny_checkpoint, media, tmp_path):
    out = tmp_path / 'out'
    (out / 'masks').mkdir(parents=True)
    (out / 'masks' / '00042.png').write_bytes(b'my own mask')  # not written by infer.py
    args = ['infer.py', config, tiny_checkpoint, '--frames', media['frames'], '--audio',
            media['wav'], '--out', str(out), '--device', 'cpu', '--no-video']
    proc = run_tool(args, cwd=tmp_path, timeout=300)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert f'infer.py: error: --out folder {out} is not empty (masks)' in proc.stderr
    assert '--overwrite' in proc.stderr and 'Traceback' not in proc.stderr
    proc = run_tool(args + ['--overwrite'], cwd=tmp_path, timeout=300)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'holds no record of an earlier infer.py run' in proc.stderr
    assert (out / 'masks' / '00042.png').read_bytes() == b'my own mask'  # untouched
    (out / 'masks' / '00042.png').unlink()
    (out / 'masks').rmdir()
    proc = run_tool(args, cwd=tmp_path, timeout=300)  # into the (now empty) folder
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = run_tool(args + ['--overwrite'], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(os.listdir(out / 'masks')) == [f'{i:05d}.png' for i in range(7)]
    assert sorted(os.listdir(tmp_path)) == ['out']
