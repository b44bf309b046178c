"""Segmenting the sounding objects of a whole video (or a folder of frames + an audio file).

The model sees clips of ``T`` seconds (``T = model.decode_head.clip_seconds``, 5 for AVSBench
v1), so the input is cut into windows ``[wT, (w+1)T)`` (:func:`plan_windows`): each window's
audio becomes ``T`` VGGish examples inside :func:`inference_avs` (a short last window is padded
as the data were: AVSBench v1 repeats the last example) and each frame in it uses the audio of
its own second of the window.

Causal windows (``causal=True``, :func:`plan_causal_windows`): the frames of second ``s`` use the
window that ends with that second, ``[max(0, s + 1 - T), s + 1)``, so a frame's mask depends
only on audio heard up to the end of its own second (no future audio). Windows that begin at 0
are shorter than ``T`` and padded at the end as a short last window is. This is what the
live path (:class:`~projects.transavs.apis.StreamingSegmenter`) computes, and its offline
reference. TransAVS segments the frames of a clip independently given the clip's audio
queries, so a frame needs no other frame of its window.

Sampling (:func:`open_video_inputs`): AVSBench shows the model one frame per second, so by
default the frame shown at ``t = k + 0.5`` s is taken (``k = 0 .. floor(duration) - 1``, at
least one); ``fps=F`` samples at ``t = (j + 0.5) / F`` instead. A folder's images are taken in
natural order of their names, frame ``i`` at ``(i + 0.5) / F`` s.

Outputs of :func:`segment_video` in ``out_dir``:

- ``masks/{index:05d}.png``: per sampled frame, the foreground probability x 255 at the frame's
  size (8-bit PNG; ``>= 128`` exactly where the probability is ``> 0.5``);
- ``overlay.mp4`` (unless ``overlay=False``): the sampled frames with the predicted mask
  tinted, at the sampling rate (MPEG-4 part 2);
- ``summary.json``: the caller's ``info`` (e.g. config, checkpoint, inputs), clip length,
  sampling rate, windows, and per frame its time, window, audio second, foreground fraction
  and mask file.

Semantic models (``K = model.decode_head.num_classes > 2``, e.g. AVSBench-semantic's 71) write,
in addition to the probability masks:

- ``labels_rgb/{index:05d}.png``: per sampled frame, the predicted class map as an RGB PNG in
  the palette colours (class ``c`` = ``palette[c]``, background black; decode it with
  :func:`~projects.transavs.datasets.semantic_palette.colour_to_label`), at the frame's size;
- ``overlay.mp4`` then tints every class in its palette colour and lists the classes of the
  frame (swatch and name) in its top-left corner;
- ``summary.json`` adds ``num_classes``, ``class_names`` (``K`` names), ``palette`` (``K``
  RGB triples), ``classes_present`` (the classes predicted in any frame) and per frame
  ``classes`` (the names of the classes present, background left out, by class index),
  ``class_fractions`` (name -> fraction of the frame's pixels) and ``label`` (its PNG).

Names and colours come from ``model.dataset_meta`` (``classes``, ``palette``; :func:`init_model`
copies it from an mmengine checkpoint's ``meta.dataset_meta``); without it the names are
``class_{i}`` (``background`` for 0) and the colours AVSBench-semantic's bit palette.

No partial or mixed outputs: :func:`segment_video` writes into a temporary folder
``.{name}.incomplete-XXXXXX`` next to ``out_dir`` and moves it to ``out_dir`` only when every
output is written; on an error it deletes that folder (only a killed process leaves it, under
that name, and the next run removes it: :mod:`.output_folder`). A non-empty ``out_dir`` is
refused unless ``overwrite=True``, which replaces the previous run's outputs at the end of a
successful run, and only when every file in ``out_dir`` is one that run wrote, unchanged (the
manifest ``.transavs-infer-manifest.json`` lists them with their sha256); a folder holding
anything else is never cleared (:func:`check_out_dir`).
"""
import itertools
import json
import os
import os.path as osp
import shutil
import sys
import warnings
from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import ProgressBar
from torch import nn

from ..datasets.transforms import LoadAudioWaveform, read_image
from ..datasets.transforms.vggish_frontend import MIN_EXAMPLE_SAMPLES, VGGISH_SAMPLE_RATE
from ..evaluation.mask_io import write_palette_png, write_prob_png
from ..utils.disk_space import DiskFullError, disk_full_error, is_disk_full
from ..visualization import class_style, draw_legend, overlay_labels, overlay_mask
from .inference import inference_avs
from .output_folder import (
    MANIFEST,
    make_work_folder,
    release_work_folder,
    remove_stale_work_folders,
    unowned_entries,
    write_manifest,
)
from .video import OverlayWriter, iter_video_frames, list_frame_files, probe_video, sample_times

__all__ = [
    'VideoInputs', 'open_video_inputs', 'plan_windows', 'plan_causal_windows', 'check_out_dir',
    'segment_video',
    'RUN_OUTPUTS'
]

#: The entries :func:`segment_video` writes in its output folder.
RUN_OUTPUTS = ('masks', 'labels_rgb', 'overlay.mp4', 'summary.json')


@dataclass
class VideoInputs:
    """The sampled frames of a video (or frame folder) and its audio.

    Args:
        frames (Iterator[np.ndarray]): RGB uint8 ``[H, W, 3]`` frames, one per time, decoded
            lazily.
        times (list[float]): Each frame's time in seconds, ascending.
        wave (np.ndarray): float32 ``[S]`` mono samples at 16 kHz.
        fps (float): The sampling rate (frames per second).
        audio_path (str): Where the audio came from (a video or an audio file).
        frame_paths (list[str], optional): The frame files of a folder input.
    """
    frames: Iterator[np.ndarray]
    times: List[float]
    wave: np.ndarray
    fps: float
    audio_path: str
    frame_paths: Optional[List[str]] = None


def open_video_inputs(video: Optional[str] = None, frames_dir: Optional[str] = None,
                      audio: Optional[str] = None, fps: float = 1.0) -> VideoInputs:
    """Checks the inputs, reads the audio and prepares the frames to decode.

    Give either ``video`` (a file with an audio track) or ``frames_dir`` and ``audio``.

    Args:
        video (str, optional): A video file with an audio track (decoded with PyAV).
        frames_dir (str, optional): A folder of frame images (natural order).
        audio (str, optional): With ``frames_dir``: wav/flac, or a video file's audio track.
        fps (float): Frames per second to sample. Defaults to 1 (as AVSBench).

    Returns:
        VideoInputs: The frames (not decoded yet), their times and the 16 kHz waveform.

    Raises:
        FileNotFoundError: a missing file or folder.
        ValueError: a video without audio track, a folder without images, or inputs that do
            not go together.
    """
    if (video is None) == (frames_dir is None) or (frames_dir is None) != (audio is None):
        raise ValueError('give either a video, or a folder of frames and an audio file')
    if not fps > 0:
        raise ValueError(f'fps must be positive, got {fps}')
    if video is not None:
        duration, has_audio = probe_video(video)
        if not has_audio:
            raise ValueError(f'video {video} has no audio track; TransAVS segments what '
                             'sounds, so it needs the audio (give --frames DIR --audio FILE '
                             'if the sound is stored separately)')
        times = sample_times(duration, fps)
        audio_path, frame_paths = video, None
        frames = iter_video_frames(video, times)
    else:
        frame_paths = list_frame_files(frames_dir)
        times = [(i + 0.5) / fps for i in range(len(frame_paths))]
        audio_path = audio
        frames = (read_image(p, 'color', 'frame') for p in frame_paths)
    wave = LoadAudioWaveform(VGGISH_SAMPLE_RATE)(dict(audio_path=audio_path))['audio_wave']
    return VideoInputs(frames=frames, times=times, wave=wave, fps=fps, audio_path=audio_path,
                       frame_paths=frame_paths)


def plan_windows(times: Sequence[float], clip_seconds: int) -> List[Tuple[int, List[int]]]:
    """Groups frames into windows ``[wT, (w+1)T)`` by time.

    Args:
        times (Sequence[float]): The frames' times in seconds, ascending.
        clip_seconds (int): The window length ``T`` in seconds.

    Returns:
        list[tuple[int, list[int]]]: ``(w, frame indices)`` for each window holding frames,
        in time order.
    """
    windows = {}
    for index, t in enumerate(times):
        windows.setdefault(int(np.floor(t / clip_seconds)), []).append(index)
    return sorted(windows.items())


def plan_causal_windows(times: Sequence[float],
                        clip_seconds: int) -> List[Tuple[int, List[int]]]:
    """Groups frames by the causal window that ends with their second (module docstring).

    Args:
        times (Sequence[float]): The frames' times in seconds, ascending.
        clip_seconds (int): ``T``.

    Returns:
        list[tuple[int, list[int]]]: ``(e, frame indices)`` per window ``[max(0, e - T), e)``
        (``e = floor(t) + 1``), in time order.
    """
    ends = {}
    for index, t in enumerate(times):
        ends.setdefault(int(np.floor(t)) + 1, []).append(index)
    return sorted(ends.items())


def quiet_short_window_padding() -> None:
    """Inside ``warnings.catch_warnings()``: no warning for padding a causal window that
    begins at the stream's start (shorter than ``T`` by design, padded as a short last window
    is)."""
    warnings.filterwarnings('ignore', message=r'WaveformToLogMel: .* covers \d+ s of audio')


def _window_plan(times: Sequence[float], clip_seconds: int,
                 causal: bool) -> List[Tuple[int, float, float, List[int]]]:
    """``(index, start s, end s, frame indices)`` of the windows to run, in time order."""
    if causal:
        return [(k, max(0, end - clip_seconds), end, indices)
                for k, (end, indices) in enumerate(plan_causal_windows(times, clip_seconds))]
    return [(w, w * clip_seconds, (w + 1) * clip_seconds, indices)
            for w, indices in plan_windows(times, clip_seconds)]


def check_out_dir(out_dir: str, overwrite: bool = False) -> None:
    """Checks that :func:`segment_video` may write to ``out_dir``.

    Args:
        out_dir (str): The output folder.
        overwrite (bool): Whether the outputs of an earlier run in ``out_dir`` may be
            replaced. Defaults to False.

    Raises:
        FileExistsError: ``out_dir`` is a file; or a non-empty folder and not ``overwrite``;
            or (``overwrite``) it has no manifest of an earlier run, or holds files that the
            manifest does not list or whose content changed (they are named).
    """
    if not osp.exists(out_dir):
        return
    if not osp.isdir(out_dir):
        raise FileExistsError(f'--out {out_dir} is a file, not a folder')
    entries = sorted(os.listdir(out_dir))
    if not entries:
        return
    if not overwrite:
        raise FileExistsError(
            f'--out folder {out_dir} is not empty ({", ".join(entries[:5])}'
            f'{", ..." if len(entries) > 5 else ""}); give an empty or new folder, or '
            '--overwrite to replace the outputs of an earlier run')
    has_manifest, unowned = unowned_entries(out_dir)
    if not has_manifest:
        raise FileExistsError(
            f'--out folder {out_dir} holds no record of an earlier infer.py run ({MANIFEST}); '
            '--overwrite replaces only what infer.py wrote there, so nothing was touched: '
            'choose another --out')
    if unowned:
        raise FileExistsError(
            f'--out folder {out_dir} holds files that an earlier infer.py run did not write '
            f'or that changed since ({", ".join(unowned[:5])}'
            f'{f", ... ({len(unowned) - 5} more)" if len(unowned) > 5 else ""}); '
            '--overwrite replaces only an earlier run\'s unchanged outputs, so nothing was '
            'touched: move them away or choose another --out')


def _move_into_place(tmp_dir: str, out_dir: str) -> None:
    """Replaces ``out_dir`` (absent, empty or an earlier run's outputs) by ``tmp_dir``."""
    old = None
    if osp.isdir(out_dir):
        if os.listdir(out_dir):
            old = make_work_folder(out_dir, 'old-')
            os.replace(out_dir, osp.join(old, 'out'))
        else:
            os.rmdir(out_dir)
    os.replace(tmp_dir, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def segment_video(model: nn.Module, inputs: VideoInputs, out_dir: str, overlay: bool = True,
                  info: Optional[dict] = None, progress: bool = True,
                  overwrite: bool = False, causal: bool = False) -> dict:
    """Segments every sampled frame, window by window, and writes the outputs to ``out_dir``.

    The outputs are listed in the module docstring; semantic models (``K > 2`` classes) add
    colour PNGs of the classes and the class names and fractions to the summary. They are
    written to a temporary folder next to ``out_dir`` (``.{name}.incomplete-XXXXXX``), moved
    to ``out_dir`` at the end, and deleted on an error.

    Args:
        model (nn.Module): A segmentor from :func:`init_model`.
        inputs (VideoInputs): From :func:`open_video_inputs`.
        out_dir (str): The output folder (created; absent or empty unless ``overwrite``).
        overlay (bool): Also write ``overlay.mp4``. Defaults to True.
        info (dict, optional): Entries to put first in the summary (e.g. config, checkpoint,
            inputs).
        progress (bool): Show a progress bar (one step per window). Defaults to True.
        overwrite (bool): Replace the outputs of an earlier run in ``out_dir`` (after this
            run succeeded). Defaults to False: a non-empty ``out_dir`` is an error.
        causal (bool): Causal windows (module docstring): each frame with the audio up to the
            end of its second, as the live path. Defaults to False (windows ``[wT, (w+1)T)``).

    Returns:
        dict: The summary, as written to ``summary.json``.

    Raises:
        FileExistsError: ``out_dir`` may not be written (:func:`check_out_dir`).
        DiskFullError: the disk filled (``out_dir`` unchanged; the message names it, what had
            been written and the space free).
    """
    out_dir = osp.abspath(out_dir)
    check_out_dir(out_dir, overwrite)
    parent = osp.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    for path in remove_stale_work_folders(out_dir):
        warnings.warn(f'removed {path}, the temporary folder of an earlier run that was killed')
    tmp_dir = make_work_folder(out_dir)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_dir, 0o777 & ~umask)  # mkdtemp's 0700 -> as os.makedirs would create
        summary = _segment_into(model, inputs, tmp_dir, overlay, info, progress, causal)
        write_manifest(tmp_dir)
        check_out_dir(out_dir, overwrite)  # nothing else wrote there in the meantime
        release_work_folder(tmp_dir)
        _move_into_place(tmp_dir, out_dir)
    except BaseException as error:
        written = _folder_bytes(tmp_dir) if is_disk_full(error) else 0
        shutil.rmtree(tmp_dir, ignore_errors=True)
        if is_disk_full(error) and not isinstance(error, DiskFullError):
            # after the removal, so that the free space reported is what the user has
            raise disk_full_error(out_dir, what='writing the outputs to',
                                  written=written) from error
        raise
    return summary


def _folder_bytes(folder: str) -> int:
    """The bytes of the files under ``folder``."""
    total = 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            try:
                total += osp.getsize(osp.join(dirpath, name))
            except OSError:
                pass
    return total


def _segment_into(model: nn.Module, inputs: VideoInputs, out_dir: str, overlay: bool,
                  info: Optional[dict], progress: bool, causal: bool = False) -> dict:
    """The work of :func:`segment_video`, writing into ``out_dir`` (a fresh folder)."""
    times, wave, fps = inputs.times, inputs.wave, inputs.fps
    clip_seconds = int(model.decode_head.clip_seconds)
    windows = _window_plan(times, clip_seconds, causal)
    num_classes = int(getattr(model.decode_head, 'num_classes', 2))
    semantic = _SemanticOutputs(out_dir, getattr(model, 'dataset_meta', None),
                                num_classes) if num_classes > 2 else None

    mask_dir = osp.join(out_dir, 'masks')
    os.makedirs(mask_dir, exist_ok=True)
    writer = OverlayWriter(osp.join(out_dir, 'overlay.mp4'), fps) if overlay else None
    per_frame, window_info, frame_size = [], [], None
    bar = ProgressBar(len(windows), file=sys.stdout) if progress else None
    try:
        for window, start, end, indices in windows:
            clip = list(itertools.islice(inputs.frames, len(indices)))  # [H, W, 3] RGB each
            if frame_size is None:
                frame_size = clip[0].shape[:2]
            audio = wave[int(round(start * VGGISH_SAMPLE_RATE)):
                         int(round(end * VGGISH_SAMPLE_RATE))]  # [S] at 16 kHz
            if len(audio) < MIN_EXAMPLE_SAMPLES:
                warnings.warn(f'{inputs.audio_path}: window {window} ({start}-{end} s) has only '
                              f'{len(audio) / VGGISH_SAMPLE_RATE:.3f} s of audio, less than one '
                              'VGGish example; zero-padded')
                # also a window past the end of the audio (no sample at all)
                audio = np.pad(audio, (0, MIN_EXAMPLE_SAMPLES - len(audio)))
            with warnings.catch_warnings():  # the generic warning of the same padding
                warnings.filterwarnings('ignore', message='.*zero-padded to one example')
                if causal and end - start < clip_seconds:
                    quiet_short_window_padding()
                result = inference_avs(model, clip, audio, sample_rate=VGGISH_SAMPLE_RATE,
                                       frame_times=[times[i] - start for i in indices])
            probs = result.pred_fg_prob.data.cpu()  # [F_w, H, W]
            labels = result.pred_sem_seg.data.cpu().numpy()  # [F_w, H, W]; binary: {0, 1}
            for k, index in enumerate(indices):
                mask_name = f'{index:05d}.png'
                write_prob_png(osp.join(mask_dir, mask_name), probs[k])
                frame = dict(
                    index=index, time=times[index], window=window,
                    second=int(result.metainfo['frame_seconds'][k]),
                    foreground_fraction=float((labels[k] > 0).mean()),
                    mask=f'masks/{mask_name}',
                    **({'file': inputs.frame_paths[index]} if inputs.frame_paths else {}))
                if semantic is not None:  # colour PNG, classes and their fractions
                    frame.update(semantic.write(mask_name, labels[k]))
                if writer is not None:
                    writer.write(overlay_mask(clip[k], labels[k]) if semantic is None else
                                 semantic.overlay(clip[k], labels[k]))
                per_frame.append(frame)
            window_info.append(dict(
                index=window, start=start, end=end,
                frames=[indices[0], indices[-1] + 1],
                audio_seconds=len(audio) / VGGISH_SAMPLE_RATE))
            if bar is not None:
                bar.update()
    finally:
        if writer is not None:
            writer.close()
    if progress:
        print()
    summary = dict(
        **(info or {}),
        fps=fps, clip_seconds=clip_seconds, causal=causal, num_frames=len(times),
        frame_size=list(frame_size), frame_times=list(times),
        foreground_fraction=[f['foreground_fraction'] for f in per_frame],
        overlay='overlay.mp4' if overlay else None,
        **(semantic.summary() if semantic is not None else {}),
        windows=window_info, frames=per_frame)
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    return summary


def present_classes(labels: np.ndarray) -> Tuple[List[int], np.ndarray]:
    """The classes of a class map other than the background, and their pixel counts."""
    values, counts = np.unique(labels, return_counts=True)
    keep = values > 0
    return [int(v) for v in values[keep]], counts[keep]


def draw_frame_overlay(frame: np.ndarray, labels: np.ndarray,
                       style: Optional[Tuple[Sequence[str], np.ndarray]] = None) -> np.ndarray:
    """A frame with its predicted mask: binary models tint the sounding region; with a class
    ``style`` (``(names, palette)`` of :func:`class_style`) every class is tinted in its
    colour and named in a legend.

    Args:
        frame (np.ndarray): RGB uint8 ``[H, W, 3]``.
        labels (np.ndarray): ``[H, W]`` class map (binary: 1 = sounding).
        style (tuple, optional): class names and palette; None for a binary model.

    Returns:
        np.ndarray: RGB uint8 ``[H, W, 3]``.
    """
    if style is None:
        return overlay_mask(frame, labels)
    names, palette = style
    classes, _ = present_classes(labels)
    return draw_legend(overlay_labels(frame, labels, palette),
                       [(names[c], palette[c]) for c in classes])


class _SemanticOutputs:
    """The outputs of a semantic model: colour PNGs, class overlays and class summaries.

    Args:
        out_dir (str): The output folder (``labels_rgb/`` is created in it).
        dataset_meta (dict, optional): ``model.dataset_meta`` (``classes``, ``palette``).
        num_classes (int): ``K``, background included.
    """

    folder = 'labels_rgb'

    def __init__(self, out_dir: str, dataset_meta: Optional[dict], num_classes: int) -> None:
        self.names, self.palette = class_style(dataset_meta, num_classes)
        self.num_classes = num_classes
        self.label_dir = osp.join(out_dir, self.folder)
        os.makedirs(self.label_dir, exist_ok=True)
        self.present = set()

    def write(self, name: str, labels: np.ndarray) -> dict:
        """Writes a frame's colour PNG; returns its entries of the summary.

        Args:
            name (str): The file name (``{index:05d}.png``).
            labels (np.ndarray): ``[H, W]`` class map.

        Returns:
            dict: ``classes``, ``class_fractions`` and ``label``.
        """
        write_palette_png(osp.join(self.label_dir, name), labels, self.palette)
        classes, counts = present_classes(labels)
        self.present.update(classes)
        return dict(classes=[self.names[c] for c in classes],
                    class_fractions={self.names[c]: float(n) / labels.size
                                     for c, n in zip(classes, counts)},
                    label=f'{self.folder}/{name}')

    def overlay(self, frame: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """A frame with its classes in their colours and a legend of their names.

        Args:
            frame (np.ndarray): RGB uint8 ``[H, W, 3]``.
            labels (np.ndarray): ``[H, W]`` class map.

        Returns:
            np.ndarray: RGB uint8 ``[H, W, 3]``.
        """
        return draw_frame_overlay(frame, labels, (self.names, self.palette))

    def summary(self) -> dict:
        """The entries of the summary about the classes (after all frames are written)."""
        return dict(num_classes=self.num_classes, class_names=list(self.names),
                    palette=self.palette.tolist(),
                    classes_present=[self.names[c] for c in sorted(self.present)])
