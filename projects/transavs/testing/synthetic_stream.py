"""A synthetic audio-visual stream (a moving box and a tone whose pitch changes every second),
written with PyAV to a file or sent live, e.g. as MPEG-TS over UDP, at its own pace.

Used by the live tests and by ``tools/benchmark_live.py`` (the soak run), so that the live path
is exercised on a real network stream without a camera.
"""
import time
from fractions import Fraction
from typing import Optional

import numpy as np

__all__ = ['stream_frame', 'stream_wave', 'write_stream']

SAMPLE_RATE = 16000


def stream_frame(i: int, height: int = 120, width: int = 160) -> np.ndarray:
    """Frame ``i``: a grey level that changes slowly and a box moving left to right."""
    img = np.full((height, width, 3), (3 * i) % 200 + 20, np.uint8)
    x = (4 * i) % max(1, width - 40)
    img[height // 4:height // 4 + 40, x:x + 40] = (230, 70, 60)
    return img


def stream_wave(start: int, count: int) -> np.ndarray:
    """Samples ``[start, start + count)`` of the tone (float32, mono, 16 kHz)."""
    t = (start + np.arange(count)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * (300 + 40 * (np.floor(t) % 10)) * t)).astype(np.float32)


def write_stream(target: str, seconds: float, fps: int = 10, fmt: Optional[str] = None,
                 realtime: bool = False, height: int = 120, width: int = 160) -> None:
    """Writes ``seconds`` of the stream to ``target`` (a path or an FFmpeg URL).

    Args:
        target (str): e.g. ``clip.mp4`` or ``udp://127.0.0.1:5000?pkt_size=1316``.
        seconds (float): the length.
        fps (int): video frames per second.
        fmt (str, optional): the container format (``mpegts`` for UDP).
        realtime (bool): send each frame at its time (a live sender).
        height (int) / width (int): the frame size.
    """
    import av
    frames = int(round(seconds * fps))
    chunk = SAMPLE_RATE // fps  # audio samples per video frame
    with av.open(target, mode='w', format=fmt) as container:
        video = container.add_stream('mpeg4', rate=fps)
        video.width, video.height, video.pix_fmt = width, height, 'yuv420p'
        video.codec_context.time_base = Fraction(1, fps)
        audio = container.add_stream('aac', rate=SAMPLE_RATE)
        audio.layout = 'mono'
        start = time.monotonic()
        pending = np.zeros(0, np.float32)
        sent = 0  # audio samples encoded
        for i in range(frames):
            if realtime:
                delay = start + i / fps - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            picture = av.VideoFrame.from_ndarray(stream_frame(i, height, width), format='rgb24')
            picture.pts = i
            container.mux(video.encode(picture))
            pending = np.concatenate([pending, stream_wave(i * chunk, chunk)])
            size = audio.codec_context.frame_size or 1024
            while len(pending) >= size:
                block = av.AudioFrame.from_ndarray(pending[None, :size], format='fltp',
                                                   layout='mono')
                block.sample_rate, block.pts = SAMPLE_RATE, sent
                container.mux(audio.encode(block))
                sent += size
                pending = pending[size:]
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
