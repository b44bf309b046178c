"""tools/extract_log_mel.py run as a user runs it: its flags reach the package's
``list_log_mel_clips`` / ``write_log_mel_cache`` (tested in tests/datasets/test_log_mel_cache.py);
the report and the exit status."""
import shutil

import numpy as np
import soundfile as sf
from tool_runs import run_tool

from projects.transavs.datasets import avsbench_layout as layout
from projects.transavs.datasets.log_mel_cache import list_log_mel_clips


def test_report_and_exit_status(s4_root, tmp_path):
    root = str(tmp_path / 's4')
    shutil.copytree(s4_root, root)
    (bad_clip, _), (short_clip, _), (_, good_npy) = [
        (a, n) for a, n in list_log_mel_clips(root, 's4', 'test', str(tmp_path / 'cache'))]
    with open(bad_clip, 'wb') as f:
        f.write(b'RIFF\x10\x00\x00\x00WAVEjunk' + bytes(64))
    sf.write(short_clip, np.full(8000, 0.1, np.float32), 16000, subtype='FLOAT')
    proc = run_tool(['extract_log_mel.py', '--data-root', root, '--subset', 's4', '--splits',
                     'test', '--cache-root', str(tmp_path / 'cache'), '--num-frames', '5'],
                    cwd=tmp_path, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    cache_dir = layout.subset_dir(str(tmp_path / 'cache'), 's4')
    assert f's4 test: 3 clips, cache under {cache_dir}' in proc.stdout
    assert 'written 2, skipped 0' in proc.stdout and 'failed 1' in proc.stdout
    assert f'FAILED {bad_clip}: ValueError: audio file is unreadable' in proc.stdout
    assert 'note: ' in proc.stdout and 'zero-padded' in proc.stdout  # the short clip
    assert np.load(good_npy).shape == (5, 1, 96, 64)
    assert not list((tmp_path / 's4').rglob('*.npy'))  # --cache-root, not --data-root


def test_unreadable_meta_csv_is_status_2(tmp_path):
    proc = run_tool(['extract_log_mel.py', '--data-root', str(tmp_path / 'nowhere'), '--subset',
                     'ms3'], cwd=tmp_path, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert 'cannot list the ms3 train clips' in proc.stderr
    assert 'meta CSV not found' in proc.stderr
