"""Reading and writing videos and frame folders for inference on your own footage.

- :func:`list_frame_files`: the images of a folder in natural order (``_10`` after ``_9``);
- :func:`sample_times`: when to sample a video, ``(j + 0.5) / fps`` seconds;
- :func:`probe_video` and :func:`iter_video_frames`: a video's duration and the frames it
  shows at given times (decoded with PyAV);
- :class:`OverlayWriter`: RGB frames to an MPEG-4 video.

PyAV is imported where it is used, so that importing the package never loads FFmpeg.
"""
import os
import os.path as osp
import warnings
from fractions import Fraction
from typing import Iterator, List, Sequence, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..utils import natural_key

__all__ = [
    'IMAGE_EXTENSIONS', 'list_frame_files', 'sample_times', 'probe_video', 'iter_video_frames',
    'OverlayWriter'
]

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff')


def list_frame_files(folder: str) -> List[str]:
    """The image files of a folder in natural order, checked to share one size.

    Args:
        folder (str): A folder of frame images (other files are ignored).

    Returns:
        list[str]: The image paths, in natural order of their names.

    Raises:
        FileNotFoundError: ``folder`` is not a directory.
        ValueError: no images, an unreadable image, or images of different sizes.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'--frames folder not found: {folder}')
    images = [n for n in os.listdir(folder) if osp.splitext(n)[1].lower() in IMAGE_EXTENSIONS]
    # macOS writes '._<name>' AppleDouble files (resource forks) beside copied files on
    # non-Apple file systems: not frames
    apple = sorted(n for n in images if n.startswith('._'))
    if apple:
        warnings.warn(f'--frames folder {folder}: skipped {len(apple)} macOS metadata file(s) '
                      f'(e.g. {apple[0]}), which are not frames')
    names = sorted((n for n in images if not n.startswith('._')), key=natural_key)
    if not names:
        raise ValueError(f'--frames folder {folder} holds no images (expected files ending in '
                         f'{", ".join(IMAGE_EXTENSIONS)})')
    paths = [osp.join(folder, n) for n in names]
    sizes = {}
    for path in paths:  # headers only: cheap even for long sequences
        try:
            with Image.open(path) as image:
                sizes.setdefault(image.size, path)  # (w, h)
        except (UnidentifiedImageError, OSError) as err:
            raise ValueError(f'frame {path} is unreadable ({err}); expected an image') from err
    if len(sizes) > 1:
        listed = ', '.join(f'{w}x{h} (e.g. {p})' for (w, h), p in sizes.items())
        raise ValueError(f'--frames folder {folder} mixes frame sizes (WxH) {listed}; all '
                         'frames of a sequence must have one size')
    return paths


def sample_times(duration: float, fps: float) -> List[float]:
    """Sampling times ``(j + 0.5) / fps`` for ``j = 0 .. max(1, floor(duration * fps)) - 1``.

    Args:
        duration (float): The video's length in seconds.
        fps (float): Samples per second.

    Returns:
        list[float]: Ascending times in seconds (at least one).
    """
    count = max(1, int(np.floor(duration * fps + 1e-9)))
    return [(j + 0.5) / fps for j in range(count)]


def probe_video(path: str) -> Tuple[float, bool]:
    """The duration of a video's first video stream and whether the file has audio.

    Args:
        path (str): A video file.

    Returns:
        tuple[float, bool]: The duration in seconds and whether there is an audio stream.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: unreadable, no video stream, or no duration.
    """
    import av  # PyAV

    if not osp.isfile(path):
        raise FileNotFoundError(f'--video file not found: {path}')
    try:
        container = av.open(path)
    except av.error.FFmpegError as err:
        raise ValueError(f'video {path} is unreadable ({err})') from err
    with container:
        if not container.streams.video:
            raise ValueError(f'{path} has no video stream')
        stream = container.streams.video[0]
        has_audio = bool(container.streams.audio)
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:  # no header duration: the end of the last packet
            ends = [float((p.pts + (p.duration or 0)) * p.time_base)
                    for p in container.demux(stream) if p.pts is not None]
            duration = max(ends) if ends else None
    if not duration or duration <= 0:
        raise ValueError(f'cannot tell the duration of video {path}; extract its frames and '
                         'audio and use --frames DIR --audio FILE')
    return duration, has_audio


def iter_video_frames(path: str, times: Sequence[float]) -> Iterator[np.ndarray]:
    """Yields, for each time (ascending seconds from the start), the RGB frame shown then.

    The frame shown at ``t`` is the last one whose timestamp (relative to the container's
    start) is ``<= t``; times before the first frame get the first frame, times after the last
    get the last. A video whose frames end before the stated duration (times later than the
    last frame's end) warns, naming the file and how many of the requested frames were past
    its last frame; those repeat the last frame.

    Args:
        path (str): A video file.
        times (Sequence[float]): Ascending times in seconds.

    Yields:
        np.ndarray: uint8 ``[H, W, 3]`` RGB.

    Raises:
        ValueError: the video has no decodable frame.
    """
    if not times:
        return
    import av  # PyAV

    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = 'AUTO'
        start = container.start_time / av.time_base if container.start_time is not None \
            else None
        rate = float(stream.average_rate or 0)
        pending, previous, count, stamp = 0, None, 0, 0.0
        for frame in container.decode(stream):
            if frame.time is None:  # no timestamp: assume a constant rate
                stamp = count / (rate or 1.0)
            else:
                stamp = frame.time - (start if start is not None else 0.0)
            count += 1
            # Every pending time before this frame shows the previous frame.
            while pending < len(times) and stamp > times[pending] + 1e-6:
                yield (previous if previous is not None else frame).to_ndarray(format='rgb24')
                pending += 1
            if pending == len(times):
                return
            previous = frame
        if previous is None:
            raise ValueError(f'video {path} has no decodable frames')
        last = previous.to_ndarray(format='rgb24')
        end = stamp + _frame_seconds(previous, rate)
        past = [t for t in times[pending:] if t > end + 1e-6]
        if past:
            warnings.warn(
                f'video {path} ends at {end:.3f} s, before its stated duration: {len(past)} of '
                f'the {len(times)} requested frames ({past[0]:.3f} s to {past[-1]:.3f} s) are '
                'past its last frame and repeat that frame')
        for _ in range(pending, len(times)):
            yield last


def _frame_seconds(frame, rate: float) -> float:
    """How long a decoded frame is shown: its duration, else ``1 / rate``, else 0."""
    duration = getattr(frame, 'duration', None)
    if duration and frame.time_base is not None:
        return float(duration * frame.time_base)
    return 1.0 / rate if rate > 0 else 0.0


class OverlayWriter:
    """Writes RGB frames to a video file with PyAV (MPEG-4 part 2, yuv420p).

    Odd frame sizes are padded by one edge pixel (yuv420p needs even sizes).

    Args:
        path (str): the output file (``.mp4``).
        fps (float): frames per second.
        codec (str): an encoder in the PyAV wheel. Defaults to ``'mpeg4'``.
    """

    def __init__(self, path: str, fps: float, codec: str = 'mpeg4') -> None:
        import av  # PyAV

        self._av = av
        self.path = path
        self.rate = Fraction(fps).limit_denominator(1000)
        self.codec = codec
        self.container = av.open(path, mode='w')
        self.stream = None

    def write(self, frame: np.ndarray) -> None:
        """Appends a frame.

        Args:
            frame (np.ndarray): RGB uint8 ``[H, W, 3]`` (all frames of one size).
        """
        height, width = frame.shape[:2]
        pad_h, pad_w = height % 2, width % 2
        if pad_h or pad_w:
            frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode='edge')
        if self.stream is None:
            self.stream = self.container.add_stream(self.codec, rate=self.rate)
            self.stream.width, self.stream.height = frame.shape[1], frame.shape[0]
            self.stream.pix_fmt = 'yuv420p'
            self.stream.bit_rate = max(1_000_000, 8 * frame.shape[0] * frame.shape[1])
        video_frame = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(frame),
                                                       format='rgb24')
        self.container.mux(self.stream.encode(video_frame))

    def close(self) -> None:
        """Flushes the encoder and closes the file."""
        if self.stream is not None:
            self.container.mux(self.stream.encode(None))
        self.container.close()
