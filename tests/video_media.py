"""A small synthetic video (with and without sound), its wav and its frames as images, for the
tests of video inference (package and tools/infer.py)."""
import os
import os.path as osp

import av
import mmcv
import numpy as np
import soundfile

SR = 16000
HEIGHT, WIDTH = 80, 64  # non-square, not the network's 224 x 224
SECONDS = 7  # two windows of T = 5 s, the second partial
VIDEO_FPS = 4


def frame(i: int) -> np.ndarray:
    """Frame ``i`` of the synthetic video: a grey level that encodes ``i`` and a moving box.

    Returns:
        np.ndarray: uint8 ``[HEIGHT, WIDTH, 3]`` RGB.
    """
    img = np.full((HEIGHT, WIDTH, 3), (8 * i) % 256, np.uint8)
    img[10 + i:40 + i, 12:44] = (240, 60, 60)
    return img


def wave(seconds: float) -> np.ndarray:
    """A tone whose pitch changes every second: float32 ``[seconds * SR]``."""
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * (300 + 40 * np.floor(t)) * t)).astype(np.float32)


def write_video(path: str, with_audio: bool = True) -> None:
    """A 7 s, 4 fps MPEG-4 video with (optionally) a 16 kHz mono AAC track, with PyAV."""
    with av.open(path, mode='w') as container:
        video = container.add_stream('mpeg4', rate=VIDEO_FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, 'yuv420p'
        audio = container.add_stream('aac', rate=SR) if with_audio else None
        if audio is not None:
            audio.layout = 'mono'
        for i in range(SECONDS * VIDEO_FPS):
            container.mux(video.encode(av.VideoFrame.from_ndarray(frame(i), format='rgb24')))
        container.mux(video.encode(None))
        if audio is not None:
            samples = wave(SECONDS)
            for start in range(0, samples.size, 1024):
                chunk = av.AudioFrame.from_ndarray(samples[None, start:start + 1024],
                                                   format='fltp', layout='mono')
                chunk.sample_rate, chunk.pts = SR, start
                container.mux(audio.encode(chunk))
            container.mux(audio.encode(None))


def make_media(root: str) -> dict:
    """Writes the media under ``root``.

    Returns:
        dict: paths of ``video`` (with sound), ``mute`` (no audio track), ``wav`` and
        ``frames`` (``frame_1.png`` .. ``frame_7.png``, one per second).
    """
    paths = dict(video=osp.join(root, 'clip.mp4'), mute=osp.join(root, 'mute.mp4'),
                 wav=osp.join(root, 'clip.wav'), frames=osp.join(root, 'frames'))
    write_video(paths['video'])
    write_video(paths['mute'], with_audio=False)
    soundfile.write(paths['wav'], wave(SECONDS), SR)
    os.makedirs(paths['frames'])
    for i in range(SECONDS):  # frame_1 .. frame_7, one per second
        mmcv.imwrite(mmcv.rgb2bgr(frame(VIDEO_FPS * i)),
                     osp.join(paths['frames'], f'frame_{i + 1}.png'))
    return paths


def decode_count(path: str) -> int:
    """The number of frames of a video file."""
    with av.open(path) as container:
        return sum(1 for _ in container.decode(video=0))
