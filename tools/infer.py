"""Segment the sounding objects of your own video (or frames + audio) with a TransAVS model.

Examples::

    python tools/infer.py configs/transavs_r50_s4.py iter_90000.pth --video clip.mp4 --out out/
    python tools/infer.py CONFIG CKPT --video clip.mp4 --fps 25 --out out/
    python tools/infer.py CONFIG CKPT --frames frames/ --audio clip.wav --out out/ --no-video

Sampling. AVSBench shows the model one frame per second, so by default one frame per second
is segmented: the frame shown at ``t = k + 0.5`` s (``k = 0 .. floor(duration) - 1``, at least
one). ``--fps F`` samples at ``t = (j + 0.5) / F`` instead (``j = 0 .. floor(duration * F) - 1``),
e.g. ``--fps 25`` segments every frame of a 25 fps video. With ``--frames DIR`` the images are
taken in natural order of their names (``_10`` after ``_9``), frame ``i`` at ``i + 0.5`` s (or
``(i + 0.5) / F`` with ``--fps F``), with the audio of ``--audio`` (wav/flac, or a video file's
audio track).

Windows. The model sees clips of ``T`` seconds (``T = model.decode_head.num_frames``, 5 for
AVSBench v1), so the input is cut into windows ``[wT, (w+1)T)``: each window's audio becomes
``T`` VGGish examples (a short last window is padded as the data were: AVSBench v1 repeats the
last example) and each frame in it uses the audio of its own second of the window.

Outputs in ``--out``:

- ``masks/{index:05d}.png``: per sampled frame, the foreground probability x 255 at the frame's
  size (8-bit PNG; ``>= 128`` exactly where the probability is ``> 0.5``);
- ``overlay.mp4`` (unless ``--no-video``): the sampled frames with the predicted mask tinted,
  at the sampling rate (MPEG-4 part 2);
- ``summary.json``: config, checkpoint, inputs, clip length, sampling rate, windows, and per
  frame its time, window, audio second, foreground fraction and mask file.
"""
import argparse
import itertools
import json
import os
import os.path as osp
import sys
import warnings
from fractions import Fraction
from typing import Iterator, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # the repo root

import av  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402
from PIL import Image, UnidentifiedImageError  # noqa: E402

from projects.transavs.apis import inference_avs, init_model  # noqa: E402
from projects.transavs.datasets.transforms import LoadAudioWaveform, read_image  # noqa: E402
from projects.transavs.datasets.transforms.vggish_frontend import (  # noqa: E402
    MIN_EXAMPLE_SAMPLES,
    VGGISH_SAMPLE_RATE,
)
from projects.transavs.evaluation.mask_io import write_prob_png  # noqa: E402
from projects.transavs.utils import natural_key  # noqa: E402
from projects.transavs.visualization import overlay_mask  # noqa: E402

__all__ = [
    'IMAGE_EXTENSIONS', 'list_frame_files', 'sample_times', 'probe_video',
    'iter_video_frames', 'plan_windows', 'OverlayWriter', 'parse_args', 'main'
]

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Segment the sounding objects of a video (or frames + audio) with TransAVS')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--video', help='a video file with an audio track (decoded with PyAV)')
    source.add_argument('--frames', help='a folder of frame images (natural order); needs '
                        '--audio')
    parser.add_argument('--audio', help='with --frames: the audio (wav/flac, or a video file)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--fps', type=float, default=None,
                        help='frames per second to segment (default 1, as AVSBench): frame j '
                        'at (j + 0.5) / FPS s; e.g. 25 for every frame of a 25 fps video')
    parser.add_argument('--device', default=None,
                        help='torch device (default: cuda:0 when available, else cpu)')
    parser.add_argument('--no-video', action='store_true', help='do not write overlay.mp4')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, xxx=yyy pairs')
    args = parser.parse_args(argv)
    if args.frames is not None and args.audio is None:
        parser.error('--frames needs --audio FILE (the sound of the frames)')
    if args.video is not None and args.audio is not None:
        parser.error('--audio goes with --frames; --video uses the video\'s own audio track')
    if args.fps is not None and not args.fps > 0:
        parser.error(f'--fps must be positive, got {args.fps}')
    return args


# -------------------------------------------------------------------------------- frame inputs
def list_frame_files(folder: str) -> List[str]:
    """The image files of a folder in natural order, checked to share one size.

    Raises:
        FileNotFoundError: ``folder`` is not a directory.
        ValueError: no images, an unreadable image, or images of different sizes.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'--frames folder not found: {folder}')
    names = sorted((n for n in os.listdir(folder)
                    if osp.splitext(n)[1].lower() in IMAGE_EXTENSIONS), key=natural_key)
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
    """``(j + 0.5) / fps`` for ``j = 0 .. max(1, floor(duration * fps)) - 1`` (seconds)."""
    count = max(1, int(np.floor(duration * fps + 1e-9)))
    return [(j + 0.5) / fps for j in range(count)]


# -------------------------------------------------------------------------------- video inputs
def probe_video(path: str) -> Tuple[float, bool]:
    """The duration (seconds) of a video's first video stream and whether it has audio.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: unreadable, no video stream, or no duration.
    """
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
    get the last.

    Yields:
        np.ndarray: uint8 ``[H, W, 3]`` RGB.
    """
    if not times:
        return
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = 'AUTO'
        start = container.start_time / av.time_base if container.start_time is not None \
            else None
        pending, previous, count = 0, None, 0
        for frame in container.decode(stream):
            if frame.time is None:  # no timestamp: assume a constant rate
                rate = float(stream.average_rate or 1)
                stamp = count / rate
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
        for _ in range(pending, len(times)):
            yield last


# ----------------------------------------------------------------------------------- windows
def plan_windows(times: Sequence[float], clip_seconds: int) -> List[Tuple[int, List[int]]]:
    """Groups frames into windows ``[wT, (w+1)T)`` by time.

    Returns:
        list[tuple[int, list[int]]]: ``(w, frame indices)`` for each window holding frames,
        in time order (``times`` ascending).
    """
    windows = {}
    for index, t in enumerate(times):
        windows.setdefault(int(np.floor(t / clip_seconds)), []).append(index)
    return sorted(windows.items())


class OverlayWriter:
    """Writes RGB frames to a video file with PyAV (MPEG-4 part 2, yuv420p).

    Odd frame sizes are padded by one edge pixel (yuv420p needs even sizes).

    Args:
        path (str): the output file (``.mp4``).
        fps (float): frames per second.
        codec (str): an encoder in the PyAV wheel. Defaults to ``'mpeg4'``.
    """

    def __init__(self, path: str, fps: float, codec: str = 'mpeg4') -> None:
        self.path = path
        self.rate = Fraction(fps).limit_denominator(1000)
        self.codec = codec
        self.container = av.open(path, mode='w')
        self.stream = None

    def write(self, frame: np.ndarray) -> None:
        """Appends an RGB uint8 ``[H, W, 3]`` frame (all frames of one size)."""
        height, width = frame.shape[:2]
        pad_h, pad_w = height % 2, width % 2
        if pad_h or pad_w:
            frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode='edge')
        if self.stream is None:
            self.stream = self.container.add_stream(self.codec, rate=self.rate)
            self.stream.width, self.stream.height = frame.shape[1], frame.shape[0]
            self.stream.pix_fmt = 'yuv420p'
            self.stream.bit_rate = max(1_000_000, 8 * frame.shape[0] * frame.shape[1])
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format='rgb24')
        self.container.mux(self.stream.encode(video_frame))

    def close(self) -> None:
        """Flushes the encoder and closes the file."""
        if self.stream is not None:
            self.container.mux(self.stream.encode(None))
        self.container.close()


# -------------------------------------------------------------------------------------- main
def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Runs the tool; returns the summary written to ``summary.json``."""
    args = parse_args(argv)
    fps = args.fps if args.fps is not None else 1.0
    if args.video is not None:
        duration, has_audio = probe_video(args.video)
        if not has_audio:
            raise ValueError(f'video {args.video} has no audio track; TransAVS segments what '
                             'sounds, so it needs the audio (give --frames DIR --audio FILE '
                             'if the sound is stored separately)')
        times = sample_times(duration, fps)
        audio_path, frame_paths = args.video, None
        frames = iter_video_frames(args.video, times)
    else:
        frame_paths = list_frame_files(args.frames)
        times = [(i + 0.5) / fps for i in range(len(frame_paths))]
        audio_path = args.audio
        frames = (read_image(p, 'color', 'frame') for p in frame_paths)
    wave = LoadAudioWaveform(VGGISH_SAMPLE_RATE)(dict(audio_path=audio_path))['audio_wave']

    device = args.device or ('cuda:0' if torch.cuda.is_available() else 'cpu')
    model = init_model(args.config, args.checkpoint, device=device,
                       cfg_options=args.cfg_options)
    clip_seconds = int(model.decode_head.num_frames)
    windows = plan_windows(times, clip_seconds)

    mask_dir = osp.join(args.out, 'masks')
    os.makedirs(mask_dir, exist_ok=True)
    writer = None if args.no_video else OverlayWriter(osp.join(args.out, 'overlay.mp4'), fps)
    per_frame, window_info, frame_size = [], [], None
    progress = ProgressBar(len(windows), file=sys.stdout)
    try:
        for window, indices in windows:
            clip = list(itertools.islice(frames, len(indices)))  # [H, W, 3] RGB each
            if frame_size is None:
                frame_size = clip[0].shape[:2]
            begin = int(round(window * clip_seconds * VGGISH_SAMPLE_RATE))
            audio = wave[begin:begin + clip_seconds * VGGISH_SAMPLE_RATE]  # [S] at 16 kHz
            if len(audio) < MIN_EXAMPLE_SAMPLES:
                warnings.warn(f'{audio_path}: window {window} ({window * clip_seconds}-'
                              f'{(window + 1) * clip_seconds} s) has only '
                              f'{len(audio) / VGGISH_SAMPLE_RATE:.3f} s of audio, less than one '
                              'VGGish example; zero-padded')
            with warnings.catch_warnings():  # the generic warning of the same padding
                warnings.filterwarnings('ignore', message='.*zero-padded to one example')
                result = inference_avs(model, clip, audio, sample_rate=VGGISH_SAMPLE_RATE,
                                       frame_times=[times[i] - window * clip_seconds
                                                    for i in indices])
            probs = result.pred_fg_prob.data.cpu()  # [F_w, H, W]
            binary = result.pred_sem_seg.data.cpu().numpy()  # [F_w, H, W]
            for k, index in enumerate(indices):
                mask_name = f'{index:05d}.png'
                write_prob_png(osp.join(mask_dir, mask_name), probs[k])
                if writer is not None:
                    writer.write(overlay_mask(clip[k], binary[k]))
                per_frame.append(dict(
                    index=index, time=times[index], window=window,
                    second=int(result.metainfo['frame_seconds'][k]),
                    foreground_fraction=float(binary[k].mean()),
                    mask=f'masks/{mask_name}',
                    **({'file': frame_paths[index]} if frame_paths else {})))
            window_info.append(dict(
                index=window, start=window * clip_seconds, end=(window + 1) * clip_seconds,
                frames=[indices[0], indices[-1] + 1],
                audio_seconds=len(audio) / VGGISH_SAMPLE_RATE))
            progress.update()
    finally:
        if writer is not None:
            writer.close()
    print()
    summary = dict(
        config=args.config, checkpoint=args.checkpoint,
        video=args.video, frames_dir=args.frames, audio=audio_path,
        fps=fps, clip_seconds=clip_seconds, num_frames=len(times),
        frame_size=list(frame_size), frame_times=list(times),
        foreground_fraction=[f['foreground_fraction'] for f in per_frame],
        overlay=None if args.no_video else 'overlay.mp4',
        windows=window_info, frames=per_frame)
    with open(osp.join(args.out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'{len(times)} frames in {len(windows)} window(s) of {clip_seconds} s -> {args.out}')
    return summary


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'infer.py: error: {error}')
