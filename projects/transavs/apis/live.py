"""The live loop: a :class:`LiveSource` feeds a :class:`StreamingSegmenter`; each segmented
frame goes to the live page and, optionally, to an overlay video; counters are kept.

Compute runs in the calling thread and decoding in the source's threads, so a slow model never
blocks decoding. When compute falls behind a live (or ``realtime``) source, the segmenter keeps
only the newest ``max_pending_seconds`` complete seconds and drops and counts the older frames,
so memory stays flat however long the stream. A file read as fast as possible is not live:
there decoding waits for compute, and nothing is dropped.

Figures (:func:`run_live`'s return value):

- latency per frame: from the moment the frame was shown (its stream time on the wall clock of
  a live or ``realtime`` source) to its mask being ready; median and 95th percentile. It
  includes waiting for the end of the frame's second of audio
  (:mod:`~projects.transavs.apis.streaming`). Sources read as fast as possible have no wall
  clock to be late against: there it is None. The frames of the last second, segmented only
  once the stream has ended (which a network stream shows by its read timeout), are not
  counted;
- real-time factor: compute time over the stream time covered (< 1: the model keeps up);
- frames segmented, dropped (compute behind) and late (arrived after their second was done);
- resident memory: peak, and sampled every second (``rss_mib``) to show that it stays flat.
"""
import os
import resource
import time
from typing import Dict, List, Optional, Union

import numpy as np
from torch import nn

from ..visualization import class_style
from .live_page import LivePage
from .live_source import LiveSource, LiveSourceError
from .streaming import StreamingSegmenter
from .video import OverlayWriter
from .video_inference import draw_frame_overlay, present_classes

__all__ = ['run_live']


def _rss_mib() -> float:
    """The process's resident memory now (Linux ``/proc``; else the peak so far)."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: List[float], q: float) -> Optional[float]:
    return float(np.percentile(values, q)) if values else None


def run_live(model: nn.Module, source_args: Union[dict, LiveSource], fps: float = 1.0,
             page: Optional[LivePage] = None, out: Optional[str] = None,
             max_pending_seconds: int = 1, log_every: float = 0.0) -> Dict[str, object]:
    """Segments a live source until it ends (or ``source_args['stop_after']``).

    Args:
        model (nn.Module): from :func:`init_model` or an ONNX Runtime model.
        source_args (dict | LiveSource): :class:`LiveSource` arguments (``url`` or
            ``camera`` and ``microphone``, their formats, ``options``, ``realtime``,
            ``stop_after``, ``timeout``), or a source opened (not started) already, e.g. to
            report a source that cannot be opened before the model is built.
        fps (float): frames per second to segment (of a source opened here).
        page (LivePage, optional): where to show the overlays and counters.
        out (str, optional): an overlay video file to write (MPEG-4, at ``fps``).
        max_pending_seconds (int): complete seconds allowed to wait for compute.
        log_every (float): print the counters every this many seconds (0: never).

    Returns:
        dict: the figures (module docstring) and ``source``.

    Raises:
        LiveSourceError: the source cannot be opened or broke off with an error.
    """
    segmenter = StreamingSegmenter(model, max_pending_seconds=max_pending_seconds)
    if isinstance(source_args, LiveSource):
        source = source_args
    else:
        source = LiveSource(None, None, fps=fps, **source_args)
    source.on_frame, source.on_audio = segmenter.push_frame, segmenter.push_audio
    source.on_video_until = segmenter.video_until
    paced = source.paced
    if not paced:  # a file as fast as possible: decoding waits for compute, nothing dropped
        source.backpressure = lambda: len(segmenter.ready_seconds()) >= max_pending_seconds
    num_classes = int(getattr(model.decode_head, 'num_classes', 2))
    style = class_style(getattr(model, 'dataset_meta', None), num_classes) \
        if num_classes > 2 else None
    writer = None
    latencies: List[float] = []
    rss: List[List[float]] = []
    compute = 0.0
    classes_seen: Dict[str, int] = {}
    last_log = last_rss = time.monotonic()
    source.start()
    try:
        while True:
            start = time.monotonic()
            flushing = source.finished  # the rest waits for no more frames: not latency
            frames = segmenter.step()
            if frames:
                compute += time.monotonic() - start
                for item in frames:
                    if paced and not flushing:
                        latencies.append(item.done_at - (source.wall_origin + item.time))
                    picture = draw_frame_overlay(item.frame, item.labels, style)
                    if out is not None:
                        if writer is None:
                            writer = OverlayWriter(out, fps)
                        writer.write(picture)
                    present = [style[0][c] for c in present_classes(item.labels)[0]] \
                        if style is not None else []
                    for name in present:
                        classes_seen[name] = classes_seen.get(name, 0) + 1
                    if page is not None:
                        page.update(picture, _stats(segmenter, source, latencies, compute,
                                                    present))
            elif source.finished:
                segmenter.end()
                if not segmenter.ready_seconds():
                    break
            else:
                time.sleep(0.005)
            now = time.monotonic()
            if now - last_rss >= 1.0:
                rss.append([round(source.stream_time, 2), round(_rss_mib(), 1)])
                last_rss = now
            if log_every and now - last_log >= log_every:
                s = _stats(segmenter, source, latencies, compute, [])
                print(f'[live] {s["stream_time_s"]:.1f} s: {s["frames"]} frames, '
                      f'{s["dropped_frames"]} dropped, rtf {s["real_time_factor"]}', flush=True)
                last_log = now
    finally:
        source.stop()
        source.join(5)
        if writer is not None:
            writer.close()
    if source.errors:
        raise LiveSourceError(f'{source.description}: reading stopped with '
                              f'{type(source.errors[0]).__name__}: {source.errors[0]}')
    stats = _stats(segmenter, source, latencies, compute, [])
    stats.update(late_frames=segmenter.late_frames, sampled_frames=source.frames_sampled,
                 peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                 rss_mib=rss, classes_seen=classes_seen, paced=paced, out=out)
    if page is not None:
        page.update(None, stats)
    return stats


def _stats(segmenter: StreamingSegmenter, source: LiveSource, latencies: List[float],
           compute: float, present: List[str]) -> Dict[str, object]:
    covered = source.stream_time
    return dict(
        frames=segmenter.segmented_frames, dropped_frames=segmenter.dropped_frames,
        latency_median_s=_percentile(latencies, 50), latency_p95_s=_percentile(latencies, 95),
        real_time_factor=round(compute / covered, 3) if covered > 0 else None,
        compute_s=round(compute, 3), stream_time_s=covered, classes=present,
        source=source.description)
