"""run_live in process with an AVSBench-semantic model: the page serves the overlay and the
counters, with the classes present, over HTTP."""
import io
import json
import urllib.request

from PIL import Image

from projects.transavs.apis.live import run_live
from projects.transavs.apis.live_page import LivePage
from projects.transavs.testing.synthetic_stream import write_stream


def test_semantic_model_page_shows_classes(avss_model, tmp_path):
    clip = tmp_path / 'clip.mp4'
    write_stream(str(clip), 3, fps=10, height=96, width=96)
    page = LivePage('127.0.0.1', 0)
    try:
        stats = run_live(avss_model, dict(url=str(clip)), fps=2, page=page,
                         out=str(tmp_path / 'live.mp4'))
        with urllib.request.urlopen(page.url + 'stats.json', timeout=10) as r:
            served = json.load(r)
        with urllib.request.urlopen(page.url + 'frame.jpg', timeout=10) as r:
            frame = Image.open(io.BytesIO(r.read()))
        with urllib.request.urlopen(page.url, timeout=10) as r:
            html = r.read().decode()
    finally:
        page.close()
    assert stats['frames'] == 6 and stats['dropped_frames'] == 0
    assert stats['paced'] is False and stats['latency_median_s'] is None  # not a live source
    # the classes present, named as in label2idx.json, counted over the frames
    names = set(avss_model.dataset_meta['classes'])
    assert stats['classes_seen'] and set(stats['classes_seen']) <= names
    assert served['frames'] == 6 and served['source'] == str(clip)
    assert frame.size == (96, 96)
    assert 'id="overlay"' in html and '/stats.json' in html
