"""The live page: the newest overlay frame and the stream's counters, served on localhost.

``GET /`` is the page. ``GET /frame.jpg`` is the newest overlay (JPEG) and ``GET
/stats.json`` the counters. The page asks for ``/stats.json`` a few times a second and loads a
new frame when ``frames`` has grown. Polling, unlike an MJPEG stream, works the same in every
browser and in headless ones, and it never queues frames: a slow client simply skips some.

Served by the standard library's ``ThreadingHTTPServer`` in a daemon thread (a page and two
small resources need no web framework).
"""
import io
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional, Tuple

import numpy as np
from PIL import Image

__all__ = ['LivePage', 'PAGE_HTML']

PAGE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TransAVS live</title>
<style>
 body { font-family: sans-serif; background: #111; color: #eee; margin: 1em; }
 #overlay { max-width: 96vw; max-height: 80vh; border: 1px solid #444; }
 table { border-collapse: collapse; margin-top: .5em; }
 td { padding: 2px 12px 2px 0; }
</style></head>
<body>
<h3>TransAVS live: what sounds</h3>
<img id="overlay" alt="waiting for the first segmented frame">
<table>
 <tr><td>frames segmented</td><td id="frames">0</td></tr>
 <tr><td>frames received by this page</td><td id="received">0</td></tr>
 <tr><td>latency median / 95th pct.</td><td id="latency">-</td></tr>
 <tr><td>real-time factor</td><td id="rtf">-</td></tr>
 <tr><td>dropped frames</td><td id="dropped">0</td></tr>
 <tr><td>stream time</td><td id="time">-</td></tr>
 <tr><td>classes present</td><td id="classes">-</td></tr>
 <tr><td>source</td><td id="source">-</td></tr>
</table>
<script>
let shown = 0, received = 0;
const img = document.getElementById('overlay');
img.onload = () => {
  received += 1;
  document.getElementById('received').textContent = received;
  img.dataset.received = received;
};
async function poll() {
  try {
    const s = await (await fetch('/stats.json', {cache: 'no-store'})).json();
    const set = (id, v) => { document.getElementById(id).textContent = v; };
    set('frames', s.frames);
    set('dropped', s.dropped_frames);
    set('latency', s.latency_median_s === null ? '-' :
        s.latency_median_s.toFixed(2) + ' s / ' + s.latency_p95_s.toFixed(2) + ' s');
    set('rtf', s.real_time_factor === null ? '-' : s.real_time_factor.toFixed(2));
    set('time', s.stream_time_s === null ? '-' : s.stream_time_s.toFixed(1) + ' s');
    set('classes', s.classes && s.classes.length ? s.classes.join(', ') : '-');
    set('source', s.source);
    if (s.frames > shown) { shown = s.frames; img.src = '/frame.jpg?n=' + shown; }
  } catch (e) { /* the stream has ended or the server is restarting */ }
  setTimeout(poll, 200);
}
poll();
</script>
</body></html>
"""


class LivePage:
    """Serves the page on ``host:port`` (port 0: any free port; see :attr:`address`).

    Args:
        host (str): the interface (default ``127.0.0.1``: this machine only).
        port (int): the TCP port.
    """

    def __init__(self, host: str = '127.0.0.1', port: int = 8765) -> None:
        self._lock = threading.Lock()
        self._jpeg: Optional[bytes] = None
        self._stats: dict = dict(frames=0, dropped_frames=0, latency_median_s=None,
                                 latency_p95_s=None, real_time_factor=None,
                                 stream_time_s=None, classes=[], source='')
        page = self

        class Handler(BaseHTTPRequestHandler):

            def do_GET(self):  # noqa: N802 - the standard library's name
                path = self.path.split('?')[0]
                if path in ('/', '/index.html'):
                    self._send(PAGE_HTML.encode(), 'text/html; charset=utf-8')
                elif path == '/stats.json':
                    with page._lock:
                        body = json.dumps(page._stats).encode()
                    self._send(body, 'application/json')
                elif path == '/frame.jpg':
                    with page._lock:
                        jpeg = page._jpeg
                    if jpeg is None:
                        self.send_error(HTTPStatus.NOT_FOUND, 'no frame yet')
                    else:
                        self._send(jpeg, 'image/jpeg')
                else:
                    self.send_error(HTTPStatus.NOT_FOUND)

            def _send(self, body: bytes, kind: str) -> None:
                self.send_response(HTTPStatus.OK)
                self.send_header('Content-Type', kind)
                self.send_header('Content-Length', str(len(body)))
                self.send_header('Cache-Control', 'no-store')
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # no line per request on stderr
                pass

        try:
            self.server = ThreadingHTTPServer((host, port), Handler)
        except OSError as error:
            raise OSError(f'cannot serve the live page on {host}:{port}: {error.strerror} '
                          '(choose another --port, or --port 0 for any free one)') from error
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name='transavs-live-page')
        self._thread.start()

    @property
    def address(self) -> Tuple[str, int]:
        """``(host, port)`` the page is served on."""
        return self.server.server_address[:2]

    @property
    def url(self) -> str:
        host, port = self.address
        return f'http://{host}:{port}/'

    def update(self, frame: Optional[np.ndarray], stats: dict) -> None:
        """Shows ``frame`` (RGB uint8 ``[H, W, 3]``; None keeps the last) with ``stats``."""
        jpeg = None
        if frame is not None:
            buffer = io.BytesIO()
            Image.fromarray(frame).save(buffer, format='JPEG', quality=85)
            jpeg = buffer.getvalue()
        with self._lock:
            if jpeg is not None:
                self._jpeg = jpeg
            self._stats = dict(self._stats, **stats)

    def close(self) -> None:
        """Stops serving."""
        self.server.shutdown()
        self.server.server_close()
