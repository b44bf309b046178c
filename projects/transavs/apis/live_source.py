"""Live sources through PyAV: a camera and a microphone, or any FFmpeg URL, decoded as they
arrive.

:class:`LiveSource` opens one container holding video and audio (``url``: ``udp://``,
``rtsp://``, ``http://``, a file, ...), or a video device and an audio device through
FFmpeg's capture formats:

- Linux: ``v4l2`` (``/dev/video0``), ``alsa`` (``default``, ``hw:0``), ``pulse``;
- macOS: ``avfoundation`` (``0`` for the camera, ``:0`` for the microphone);
- Windows: ``dshow`` (``video=NAME``, ``audio=NAME``).

Background threads decode them and push into callbacks. Frames are sampled at ``fps``: the
frame shown at ``t = (j + 0.5) / fps`` (the last one whose time is ``<= t``), as
:func:`~projects.transavs.apis.sample_times` samples files. Audio becomes mono at 16 kHz.
Times count from the stream's first timestamp. With ``realtime`` a file is played at its own
pace, as a camera delivers it.

Written on PyAV (FFmpeg's demuxers, decoders and resampler); what is ours is the sampling and
the pacing.
"""
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

__all__ = ['LiveSource', 'LiveSourceError']


class LiveSourceError(OSError):
    """A live source cannot be opened or read."""


def _open(what: str, target: str, fmt: Optional[str], options: Dict[str, str],
          timeout: float):
    import av
    try:
        return av.open(target, format=fmt, options=options, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - PyAV raises many kinds (FFmpegError, OSError)
        where = f'{what} {target!r}' + (f' (format {fmt})' if fmt else '')
        expected = ('a video device of that capture format (e.g. v4l2 /dev/video0)'
                    if what == 'camera' else
                    'an audio device of that capture format (e.g. alsa default, pulse default)'
                    if what == 'microphone' else
                    'an FFmpeg URL or file with a video stream and an audio stream '
                    '(udp://HOST:PORT, rtsp://..., http://..., a file)')
        raise LiveSourceError(f'cannot open {where}: {error}; expected {expected}') from error


class LiveSource:
    """Decodes a live source in background threads (module docstring).

    Args:
        on_frame (Callable[[np.ndarray, float], object]): called with each sampled frame
            (RGB uint8 ``[H, W, 3]``) and its time in seconds (may be set after opening, as
            the attribute ``on_frame``, before :meth:`start`; so may ``on_audio``).
        on_audio (Callable[[np.ndarray], object]): called with consecutive mono float32
            samples at 16 kHz.
        on_video_until (Callable[[float], object], optional): called after each sampled frame
            with the next sampling time (no earlier frame will follow).
        fps (float): frames per second to sample.
        url (str, optional): one container with video and audio.
        url_format (str, optional): its FFmpeg format (default: guessed, e.g. ``mpegts``).
        camera (str, optional) / camera_format (str, optional): a video device.
        microphone (str, optional) / microphone_format (str, optional): an audio device.
        options (dict, optional): FFmpeg options for opening (e.g. ``video_size``).
        realtime (bool): pace a file at its own speed.
        stop_after (float, optional): stop after this many seconds of stream.
        timeout (float): seconds to wait for a source to open or deliver data.

    Raises:
        LiveSourceError: a source cannot be opened, has no video or no audio stream.
    """

    def __init__(self, on_frame: Optional[Callable[[np.ndarray, float], object]],
                 on_audio: Optional[Callable[[np.ndarray], object]], fps: float = 1.0,
                 url: Optional[str] = None, url_format: Optional[str] = None,
                 camera: Optional[str] = None, camera_format: Optional[str] = None,
                 microphone: Optional[str] = None, microphone_format: Optional[str] = None,
                 options: Optional[Dict[str, str]] = None, realtime: bool = False,
                 stop_after: Optional[float] = None, timeout: float = 10.0,
                 on_video_until: Optional[Callable[[float], object]] = None) -> None:
        if (url is None) == (camera is None and microphone is None):
            raise ValueError('give a url, or a camera and a microphone')
        if url is None and (camera is None or microphone is None):
            raise ValueError('a live source needs both a camera and a microphone (TransAVS '
                             'segments what sounds): give both, or one url with both streams')
        if not fps > 0:
            raise ValueError(f'fps must be positive, got {fps}')
        self.on_frame, self.on_audio, self.fps = on_frame, on_audio, float(fps)
        self.on_video_until = on_video_until
        self.realtime, self.stop_after = realtime, stop_after
        options = dict(options or {})
        self.description = url if url is not None else f'{camera} + {microphone}'
        # a device or network stream arrives at its own pace; a file only with realtime
        self.paced = realtime or url is None or '://' in url
        # for a file read as fast as possible: while it returns True, decoding waits (the
        # consumer is behind), instead of the consumer dropping what it cannot keep up with
        self.backpressure: Optional[Callable[[], bool]] = None
        self._containers: List[Tuple[object, bool, bool]] = []
        if url is not None:
            container = _open('source', url, url_format, options, timeout)
            self._containers.append((container, True, True))
        else:
            self._containers.append(
                (_open('camera', camera, camera_format, options, timeout), True, False))
            self._containers.append(
                (_open('microphone', microphone, microphone_format, {}, timeout), False, True))
        video = [c for c, v, _ in self._containers if v and c.streams.video]
        audio = [c for c, _, a in self._containers if a and c.streams.audio]
        if not video or not audio:
            for c, _, _ in self._containers:
                c.close()
            missing = 'a video stream' if not video else 'an audio stream'
            raise LiveSourceError(f'{self.description} has no {missing}; TransAVS needs the '
                                  'frames and the sound')
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []
        self.errors: List[BaseException] = []
        # time.monotonic() of stream time 0: fixed at start() when pacing a file; for a live
        # source the earliest (arrival - timestamp) over the decoded frames (opening reads
        # ahead, so the first frames come out in a burst after their time)
        self.wall_origin: Optional[float] = None
        self.stream_time = 0.0  # the latest time pushed (frames or audio)
        self.frames_sampled = 0

    # ----------------------------------------------------------------------------- control
    def start(self) -> None:
        """Starts decoding (``on_frame`` and ``on_audio`` set)."""
        if self.on_frame is None or self.on_audio is None:
            raise ValueError('LiveSource.start: set on_frame and on_audio first')
        self.wall_origin = time.monotonic()
        for container, with_video, with_audio in self._containers:
            thread = threading.Thread(target=self._run, args=(container, with_video, with_audio),
                                      daemon=True, name='transavs-live-source')
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Asks the threads to stop (they close their containers)."""
        self._stop.set()

    @property
    def finished(self) -> bool:
        """True once every decoding thread has ended (end of stream, stop or error)."""
        return bool(self._threads) and not any(t.is_alive() for t in self._threads)

    def join(self, timeout: Optional[float] = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    # ----------------------------------------------------------------------------- threads
    def _pace(self, t: float) -> bool:
        """Waits until stream time ``t`` in real time (``realtime``); False when stopping."""
        if self.stop_after is not None and t >= self.stop_after:
            self._stop.set()
        if self._stop.is_set():
            return False
        if self.realtime:
            delay = self.wall_origin + t - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
        elif not self.paced and self.backpressure is not None:
            while self.backpressure() and not self._stop.is_set():
                self._stop.wait(0.005)
        return not self._stop.is_set()

    def _show_until(self, shown, next_target: int, until: float) -> Optional[int]:
        """Pushes ``shown`` (a decoded frame) at every sampling time before ``until``;
        returns the next sampling index, or None when stopping."""
        while (next_target + 0.5) / self.fps < until - 1e-6:
            target = (next_target + 0.5) / self.fps
            if not self._pace(target):
                return None
            self.on_frame(shown.to_ndarray(format='rgb24'), target)
            self.frames_sampled += 1
            self.stream_time = max(self.stream_time, target)
            next_target += 1
            if self.on_video_until is not None:
                self.on_video_until((next_target + 0.5) / self.fps)
        return next_target

    def _run(self, container, with_video: bool, with_audio: bool) -> None:
        import av
        streams = []
        if with_video:
            streams.append(container.streams.video[0])
            container.streams.video[0].thread_type = 'AUTO'
        if with_audio:
            streams.append(container.streams.audio[0])
        origin = container.start_time / av.time_base if container.start_time is not None \
            else None
        resampler = av.AudioResampler(format='flt', layout='mono', rate=16000)
        audio_samples = 0  # pushed so far
        next_target = 0  # index j of the next frame time (j + 0.5) / fps
        previous = None  # the last decoded video frame
        try:
            for frame in container.decode(*streams):
                if frame.time is None:
                    continue
                if origin is None:
                    origin = frame.time
                t = frame.time - origin
                if not self.realtime:
                    self.wall_origin = min(self.wall_origin, time.monotonic() - t)
                if isinstance(frame, av.AudioFrame):
                    if not self._pace(audio_samples / 16000):
                        break
                    gap = int(round(t * 16000)) - audio_samples
                    if audio_samples == 0 and gap > 0:  # audio starts after the stream
                        self.on_audio(np.zeros(gap, np.float32))
                        audio_samples += gap
                    for out in resampler.resample(frame):
                        samples = out.to_ndarray().reshape(-1).astype(np.float32)
                        self.on_audio(samples)
                        audio_samples += len(samples)
                    self.stream_time = max(self.stream_time, audio_samples / 16000)
                    continue
                # a video frame: the previous one was shown at every target before it
                next_target = self._show_until(previous if previous is not None else frame,
                                               next_target, t)
                if next_target is None:
                    return
                previous = frame
            else:
                # end of stream: the last frame is shown until its own end
                if previous is not None and with_video:
                    rate = float(container.streams.video[0].average_rate or 0)
                    last_end = previous.time - origin + (1.0 / rate if rate else 0.0)
                    if self._show_until(previous, next_target, last_end) is None:
                        return
        except av.error.ExitError:
            pass  # end of a network stream (its read timeout)
        except Exception as error:  # noqa: BLE001 - reported to the consumer
            if not self._stop.is_set():
                self.errors.append(error)
        finally:
            if with_audio:
                try:
                    for out in resampler.resample(None):
                        self.on_audio(out.to_ndarray().reshape(-1).astype(np.float32))
                except Exception:  # noqa: BLE001 - flushing a broken stream
                    pass
            container.close()
