"""Live segmentation: frames and audio fed as they arrive, masks out as soon as they can be.

:class:`StreamingSegmenter` is fed audio samples (mono, 16 kHz, from the stream's start on)
and frames with their times. A frame at time ``t`` lies in second ``s = floor(t)``, and AVSBench
pairs it with that second of audio, so its mask can be computed once the audio up to ``s + 1``
has arrived. It is segmented with the causal window that ends there,
``[max(0, s + 1 - T), s + 1)`` (``T = clip_seconds``). That is the window
``segment_video(..., causal=True)`` uses offline, with the same inputs to :func:`inference_avs`,
so the two give the same masks. The result depends only on what was heard and seen up to the
end of the frame's second, and is deterministic.

Latency: a frame at ``t`` waits for the end of its second, ``floor(t) + 1 - t`` seconds
(between 0 and 1 s, 0.5 s on average for frames spread over the second), plus the compute
of its window. The frames of one second are segmented together.

Bounded memory: the segmenter keeps the last ``T`` seconds of audio and the frames of
the seconds not yet segmented. With ``max_pending_seconds``, older seconds are dropped (and
counted) when the consumer falls behind, instead of queueing without bound.

Written by hand: the libraries we build on (mmseg, PyAV) offer no streaming inference over
an audio window.
"""
import math
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
from torch import nn

from ..datasets.transforms.vggish_frontend import VGGISH_SAMPLE_RATE
from .inference import inference_avs
from .video_inference import quiet_short_window_padding

__all__ = ['StreamFrame', 'StreamingSegmenter']


@dataclass
class StreamFrame:
    """One segmented frame of a stream.

    Attributes:
        time (float): the frame's time in the stream (seconds from its start).
        second (int): ``floor(time)``, its second of audio.
        frame (np.ndarray): the frame, RGB uint8 ``[H, W, 3]``.
        fg_prob (np.ndarray): float32 ``[H, W]`` foreground (sounding) probability.
        labels (np.ndarray): uint8 ``[H, W]`` class map (binary models: 1 = sounding).
        window (tuple[float, float]): the audio window used, in stream seconds.
        pushed_at (float): ``time.monotonic()`` when the frame was pushed.
        done_at (float): ``time.monotonic()`` when its mask was ready.
    """
    time: float
    second: int
    frame: np.ndarray
    fg_prob: np.ndarray
    labels: np.ndarray
    window: Tuple[float, float]
    pushed_at: float
    done_at: float = field(default=0.0)


class StreamingSegmenter:
    """Causal, incremental segmentation of a stream (module docstring).

    Thread-safe: producers may call :meth:`push_audio` / :meth:`push_frame` from their own
    threads while one consumer calls :meth:`step` (or :meth:`flush`).

    Args:
        model (nn.Module): from :func:`init_model` (or an ONNX Runtime model,
            :func:`~projects.transavs.deploy.init_onnx_model`).
        max_pending_seconds (int, optional): keep at most this many complete seconds
            waiting to be segmented; older ones are dropped and counted in
            ``dropped_frames``. None: never drop (offline equivalence, tests).
        max_lag_seconds (int): how far (in seconds) a frame may arrive behind the audio; the
            audio before that is not kept, and later frames count as ``late_frames``.
    """

    def __init__(self, model: nn.Module, max_pending_seconds: Optional[int] = None,
                 max_lag_seconds: int = 10) -> None:
        self.model = model
        self.max_lag_seconds = int(max_lag_seconds)
        self.clip_seconds = int(model.decode_head.clip_seconds)
        self.max_pending_seconds = max_pending_seconds
        self.rate = VGGISH_SAMPLE_RATE
        self._lock = threading.Lock()
        self._audio = np.zeros(0, np.float32)  # the samples from _audio_start on
        self._audio_start = 0  # index of _audio[0] in the stream
        self._audio_total = 0  # samples received
        self._frames: Dict[int, List[Tuple[float, np.ndarray, float]]] = {}
        self._next_second = 0  # seconds before it are done (segmented or dropped)
        self._video_until: Optional[float] = None  # no frames before it will come
        self._ended = False
        self.dropped_frames = 0
        self.late_frames = 0
        self.segmented_frames = 0

    # ------------------------------------------------------------------------- producers
    def push_audio(self, samples: np.ndarray) -> None:
        """Appends mono samples at 16 kHz (float in [-1, 1]), continuing the stream's audio."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        with self._lock:
            self._audio = np.concatenate([self._audio, samples])
            self._audio_total += len(samples)
            self._trim_audio()

    def push_frame(self, frame: np.ndarray, t: float) -> bool:
        """Adds a frame (RGB uint8 ``[H, W, 3]``) shown at ``t`` seconds.

        Returns:
            bool: False when the frame came too late (its second was already segmented or
            dropped); it is counted in ``late_frames`` and not used.
        """
        if not (math.isfinite(t) and t >= 0):
            raise ValueError(f'frame time must be a finite number of seconds >= 0, got {t}')
        second = int(math.floor(t))
        with self._lock:
            if second < self._next_second or \
                    second < self._audio_total // self.rate - self.max_lag_seconds:
                self.late_frames += 1
                return False
            self._frames.setdefault(second, []).append((float(t), frame, time.monotonic()))
            return True

    def video_until(self, t: float) -> None:
        """Promises that no frame before ``t`` will be pushed any more (a source that samples
        frames knows the next sampling time). Once called, a second waits for its audio and
        for this promise, so that a frame decoded after its audio still counts; without it,
        the audio alone decides."""
        with self._lock:
            self._video_until = max(t, self._video_until or 0.0)

    def end(self) -> None:
        """Marks the end of the stream: :meth:`step` then also takes seconds whose audio is
        incomplete (padded as a short window is)."""
        with self._lock:
            self._ended = True

    # --------------------------------------------------------------------------- consumer
    def _ready(self) -> List[int]:
        """Under the lock: the seconds with frames whose audio (and, once promised, video) is
        complete; all of them after :meth:`end`."""
        heard = self._audio_total // self.rate  # whole seconds of audio received
        seen = self._video_until
        return sorted(s for s in self._frames if self._ended or (
            s < heard and (seen is None or s + 1 <= seen + 1e-9)))

    def ready_seconds(self) -> List[int]:
        """The seconds with frames ready to be segmented."""
        with self._lock:
            return self._ready()

    def step(self) -> List[StreamFrame]:
        """Segments the oldest ready second (after dropping seconds beyond
        ``max_pending_seconds``); returns its frames in time order, or [] when none is ready."""
        with self._lock:
            ready = self._ready()
            if not ready:
                return []
            if self.max_pending_seconds is not None and \
                    len(ready) > self.max_pending_seconds:
                for second in ready[:len(ready) - self.max_pending_seconds]:
                    self.dropped_frames += len(self._frames.pop(second))
                ready = ready[len(ready) - self.max_pending_seconds:]
            second = ready[0]
            frames = sorted(self._frames.pop(second), key=lambda item: item[0])
            self._next_second = second + 1
            start = max(0, second + 1 - self.clip_seconds)
            end = second + 1
            wave = self._slice_audio(start, end)
            self._trim_audio()
        with warnings.catch_warnings():
            if end - start < self.clip_seconds:
                quiet_short_window_padding()
            result = inference_avs(self.model, [f for _, f, _ in frames], wave,
                                   sample_rate=self.rate,
                                   frame_times=[t - start for t, _, _ in frames])
        probs = result.pred_fg_prob.data.cpu().numpy()  # [F, H, W]
        labels = result.pred_sem_seg.data.cpu().numpy()  # [F, H, W]
        done = time.monotonic()
        self.segmented_frames += len(frames)
        return [StreamFrame(time=t, second=second, frame=f, fg_prob=probs[k],
                            labels=labels[k], window=(float(start), float(end)),
                            pushed_at=pushed, done_at=done)
                for k, (t, f, pushed) in enumerate(frames)]

    def flush(self) -> List[StreamFrame]:
        """Ends the stream and segments every remaining second."""
        self.end()
        out: List[StreamFrame] = []
        while True:
            batch = self.step()
            if not batch:
                return out
            out += batch

    # ------------------------------------------------------------------------ internals
    def _slice_audio(self, start: int, end: int) -> np.ndarray:
        """Samples of stream seconds ``[start, end)`` that have arrived (a copy)."""
        lo = start * self.rate - self._audio_start
        hi = end * self.rate - self._audio_start
        return self._audio[max(lo, 0):max(hi, 0)].copy()

    def _trim_audio(self) -> None:
        """Drops audio no future window needs: before the window of the oldest second that
        is pending or may still get frames (``max_lag_seconds`` behind the audio)."""
        oldest = max(self._next_second, self._audio_total // self.rate - self.max_lag_seconds)
        if self._frames:
            oldest = min(oldest, min(self._frames))
        keep_from = max(0, oldest + 1 - self.clip_seconds) * self.rate
        cut = keep_from - self._audio_start
        if cut > 0:
            self._audio = self._audio[cut:]
            self._audio_start = keep_from
