"""Segment the sounding objects of your own video (or frames + audio) with a TransAVS model.

Examples::

    python tools/infer.py configs/transavs_r50_s4.py iter_90000.pth --video clip.mp4 --out out/
    python tools/infer.py CONFIG CKPT --video clip.mp4 --fps 25 --out out/
    python tools/infer.py CONFIG CKPT --frames frames/ --audio clip.wav --out out/ --no-video
    python tools/infer.py CONFIG --onnx model.onnx --video clip.mp4 --out out/  # ONNX Runtime

Sampling. AVSBench shows the model one frame per second, so by default one frame per second
is segmented: the frame shown at ``t = k + 0.5`` s (``k = 0 .. floor(duration) - 1``, at least
one). ``--fps F`` samples at ``t = (j + 0.5) / F`` instead (``j = 0 .. floor(duration * F) - 1``),
e.g. ``--fps 25`` segments every frame of a 25 fps video. With ``--frames DIR`` the images are
taken in natural order of their names (``_10`` after ``_9``), frame ``i`` at ``i + 0.5`` s (or
``(i + 0.5) / F`` with ``--fps F``), with the audio of ``--audio`` (wav/flac, or a video file's
audio track).

Windows. The model sees clips of ``T`` seconds (``T = model.decode_head.clip_seconds``, 5 for
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

Semantic checkpoints (``K > 2`` classes, e.g. AVSBench-semantic's 71) write these outputs
too (``masks/`` then holds the probability that a pixel sounds, whatever its class), and in
addition:

- ``labels_rgb/{index:05d}.png``: per sampled frame, the predicted classes as an RGB PNG in
  the palette colours (class ``c`` = ``palette[c]``, background black), at the frame's size,
  as AVSBench-semantic's ``labels_rgb``;
- ``overlay.mp4`` tints each class in its palette colour, with the frame's class names (and
  their colours) in the top-left corner;
- ``summary.json`` adds ``num_classes``, ``class_names``, ``palette`` (RGB per class),
  ``classes_present`` and per frame ``classes`` (the names of the classes present, e.g.
  ``["dog", "man"]``), ``class_fractions`` (name -> fraction of the frame's pixels) and
  ``label`` (its PNG).

The class names and colours are the checkpoint's ``meta.dataset_meta`` (``classes``,
``palette``, saved by the training runner); without them: ``class_{i}`` and the
AVSBench-semantic bit palette.

The reading, windowing and writing are ``projects.transavs.apis`` (``open_video_inputs``,
``segment_video``); this is their command line.

No partial or mixed outputs. The outputs are written to a temporary folder next to ``--out``
(``.{name}.incomplete-XXXXXX``) and moved to ``--out`` only when all are written; an error
deletes it (only a killed process leaves it behind, under that name). A non-empty ``--out`` is
refused unless ``--overwrite``, which replaces the earlier run's outputs (``masks/``,
``labels_rgb/``, ``overlay.mp4``, ``summary.json``) once the new run has succeeded; a folder
holding other files is never cleared. A video whose frames end before its stated duration
warns with the file and the number of requested frames past its last frame (they repeat it).
"""
import argparse
import sys
from typing import Optional, Sequence

import torch
from mmengine.config import DictAction

from projects.transavs.apis import init_model, open_video_inputs, segment_video
from projects.transavs.apis.video_inference import check_out_dir
from projects.transavs.utils import DiskFullError


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Segment the sounding objects of a video (or frames + audio) with TransAVS')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file (not with --onnx)')
    parser.add_argument('--onnx', default=None,
                        help='run an exported model (tools/deploy/export_onnx.py) with ONNX '
                        'Runtime on the CPU instead of a checkpoint; the config still gives '
                        'the test pipeline')
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
    parser.add_argument('--overwrite', action='store_true',
                        help='replace the outputs of an earlier run in --out (default: a '
                        'non-empty --out is an error)')
    parser.add_argument('--partial-load', action='store_true',
                        help='load a checkpoint that does not fit the model entirely (only the '
                        'fitting weights; a warning counts the rest); without it such a '
                        'checkpoint is an error')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, xxx=yyy pairs')
    args = parser.parse_args(argv)
    if args.frames is not None and args.audio is None:
        parser.error('--frames needs --audio FILE (the sound of the frames)')
    if args.video is not None and args.audio is not None:
        parser.error('--audio goes with --frames; --video uses the video\'s own audio track')
    if (args.checkpoint is None) == (args.onnx is None):
        parser.error('give a CHECKPOINT or --onnx FILE (one of them)')
    if args.onnx is not None and args.partial_load:
        parser.error('--partial-load loads checkpoints; an --onnx model is used as exported')
    if args.onnx is not None and args.device not in (None, 'cpu'):
        parser.error('--onnx runs on the CPU (ONNX Runtime\'s CPU provider); leave out --device')
    if args.fps is not None and not args.fps > 0:
        parser.error(f'--fps must be positive, got {args.fps}')
    return args


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Runs the tool; returns the summary written to ``summary.json``."""
    args = parse_args(argv)
    fps = args.fps if args.fps is not None else 1.0
    # Every input error comes before the model is built and anything is written.
    check_out_dir(args.out, args.overwrite)
    inputs = open_video_inputs(video=args.video, frames_dir=args.frames, audio=args.audio,
                               fps=fps)
    if args.onnx is not None:
        from projects.transavs.deploy import init_onnx_model
        model = init_onnx_model(args.onnx, args.config, cfg_options=args.cfg_options)
    else:
        device = args.device or ('cuda:0' if torch.cuda.is_available() else 'cpu')
        model = init_model(args.config, args.checkpoint, device=device,
                           cfg_options=args.cfg_options, strict=not args.partial_load)
    info = dict(config=args.config, checkpoint=args.checkpoint, video=args.video,
                frames_dir=args.frames, audio=inputs.audio_path,
                **({'onnx': args.onnx} if args.onnx else {}))
    summary = segment_video(model, inputs, args.out, overlay=not args.no_video, info=info,
                            overwrite=args.overwrite)
    print(f'{summary["num_frames"]} frames in {len(summary["windows"])} window(s) of '
          f'{summary["clip_seconds"]} s -> {args.out}')
    return summary


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, FileExistsError, ValueError, DiskFullError, ImportError) as error:
        sys.exit(f'infer.py: error: {error}')
