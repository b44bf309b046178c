"""tools/live.py on real streams served on 127.0.0.1: MPEG-TS over UDP sent at its own pace, a
file played in real time with a deliberately slow model, sources that cannot be opened, and
the live page in headless Chromium."""
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time

import pytest
from tool_runs import ROOT, free_port, run_tool

from projects.transavs.testing.synthetic_stream import write_stream

LIVE = osp.join(ROOT, 'tools', 'live.py')


def _popen(args, cwd):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHON' + 'PATH'}
    env.update(OMP_NUM_THREADS='1')
    return subprocess.Popen([sys.executable, LIVE] + args, cwd=str(cwd), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_line(proc, pattern, timeout=120):
    """Reads stdout until a line matches (returns the match) or the process ends."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f'no line matching {pattern!r}; stderr: {proc.stderr.read()[-3000:]}')


def test_udp_stream_in_real_time(config, tiny_checkpoint, tmp_path):
    """15 s of MPEG-TS over UDP, segmented at 5 fps by the tiny model faster than real time."""
    port = int(free_port())
    stats_file = tmp_path / 'stats.json'
    proc = _popen([config, tiny_checkpoint, '--url', f'udp://127.0.0.1:{port}', '--url-format',
                   'mpegts', '--fps', '5', '--port', '-1', '--timeout', '3', '--threads', '1',
                   '--log-every', '0', '--stats', str(stats_file),
                   '--out', str(tmp_path / 'live.mp4')], tmp_path)
    _wait_for_line(proc, rf'^opening udp://127\.0\.0\.1:{port}')
    time.sleep(0.5)  # the socket is open before the first packet
    write_stream(f'udp://127.0.0.1:{port}?pkt_size=1316', 15, fps=10, fmt='mpegts',
                 realtime=True)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    stats = json.loads(stats_file.read_text())
    assert stats['real_time_factor'] < 1, stats
    assert stats['frames'] >= 60 and stats['dropped_frames'] == 0, stats  # 75 sent
    assert stats['stream_time_s'] >= 13
    assert 0 < stats['latency_median_s'] <= stats['latency_p95_s'] < 3, stats
    assert f'{stats["frames"]} frames segmented, 0 dropped' in out
    import av
    with av.open(str(tmp_path / 'live.mp4')) as video:
        assert sum(1 for _ in video.decode(video=0)) == stats['frames']


def test_slow_model_drops_and_counts(repo_root, tiny_checkpoint, tmp_path):
    """A model slower than real time (1.5 s per second of stream) drops frames, counts them
    and keeps at most one second waiting."""
    clip = tmp_path / 'clip.mp4'
    write_stream(str(clip), 8, fps=10)
    config = tmp_path / 'slow.py'
    config.write_text(
        f"_base_ = [{osp.join(repo_root, 'configs', 'transavs_tiny_s4.py')!r}]\n"
        "custom_imports = dict(imports=['projects.transavs', "
        "'projects.transavs.testing.faults'], allow_failed_imports=False)\n"
        "test_pipeline = [dict(type='SlowDown', seconds=1.5), dict(type='LoadClipFrames', "
        "scale=(224, 224)), dict(type='LoadAudioWaveform'), dict(type='WaveformToLogMel'), "
        "dict(type='PackAVSInputs')]\n"
        'test_dataloader = dict(dataset=dict(pipeline=test_pipeline))\n')
    result = run_tool(['live.py', str(config), tiny_checkpoint, '--url', str(clip), '--realtime',
                       '--fps', '5', '--port', '-1', '--stats', str(tmp_path / 's.json'),
                       '--log-every', '0'], cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads((tmp_path / 's.json').read_text())
    assert stats['dropped_frames'] > 0 and stats['real_time_factor'] > 1, stats
    assert stats['frames'] + stats['dropped_frames'] + stats['late_frames'] == \
        stats['sampled_frames'] == 40, stats
    assert f'{stats["frames"]} frames segmented, {stats["dropped_frames"]} dropped' in \
        result.stdout


@pytest.mark.parametrize('args, message', [
    (['--url', 'udp://127.0.0.1:{port}', '--url-format', 'mpegts', '--timeout', '1'],
     "live.py: error: cannot open source 'udp://127.0.0.1:{port}' (format mpegts): "),
    (['--camera', '/dev/video_missing', '--camera-format', 'v4l2', '--mic', 'default',
      '--mic-format', 'alsa'],
     "live.py: error: cannot open camera '/dev/video_missing' (format v4l2): "),
    (['--url', '{missing}'], "live.py: error: cannot open source '{missing}': "),
], ids=['udp_silent', 'no_camera', 'no_file'])
def test_sources_that_cannot_be_opened(config, tiny_checkpoint, tmp_path, args, message):
    fill = dict(port=free_port(), missing=str(tmp_path / 'missing.mp4'))
    result = run_tool(['live.py', config, tiny_checkpoint, '--port', '-1',
                       *[a.format(**fill) for a in args]], cwd=tmp_path, timeout=120)
    assert result.returncode == 1, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(message.format(**fill)), last
    assert '; expected ' in last and 'Traceback' not in result.stderr


@pytest.mark.skipif(shutil.which('chromium') is None,
                    reason='needs chromium (Debian: apt-get install chromium; the set-up '
                    'installs it when run as root)')
def test_page_in_headless_chromium(config, tiny_checkpoint, tmp_path):
    clip = tmp_path / 'clip.mp4'
    write_stream(str(clip), 12, fps=10)
    proc = _popen([config, tiny_checkpoint, '--url', str(clip), '--realtime', '--fps', '2',
                   '--port', '0', '--threads', '1', '--log-every', '0'], tmp_path)
    try:
        url = _wait_for_line(proc, r'live page: (http://127\.0\.0\.1:\d+/)').group(1)
        time.sleep(4)  # a few frames segmented
        browser = ['chromium', '--headless', '--no-sandbox', '--disable-gpu',
                   '--disable-dev-shm-usage', f'--user-data-dir={tmp_path / "profile"}']
        dom = subprocess.run(browser + ['--virtual-time-budget=3000', '--dump-dom', url],
                             capture_output=True, text=True, timeout=60).stdout
        received = re.search(r'<td id="received">(\d+)</td>', dom)
        assert received and int(received.group(1)) >= 1, dom[-2000:]
        assert re.search(r'<img id="overlay"[^>]*src="/frame\.jpg\?n=\d+"', dom), dom[-2000:]
        frames = int(re.search(r'<td id="frames">(\d+)</td>', dom).group(1))
        assert frames >= 1
        shot = tmp_path / 'page.png'
        subprocess.run(browser + ['--virtual-time-budget=3000', '--window-size=900,640',
                                  f'--screenshot={shot}', url],
                       capture_output=True, text=True, timeout=60)
        from PIL import Image
        with Image.open(shot) as image:
            assert image.size == (900, 640)
            # the overlay shows: the page is not a single colour
            assert len(image.convert('RGB').getcolors(maxcolors=1 << 20) or []) > 50
    finally:
        proc.kill()
        proc.communicate()
