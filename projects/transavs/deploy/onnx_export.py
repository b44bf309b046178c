"""TransAVS as one ONNX graph: raw frames and log-mels in, eq. 14-15 predictions out.

The graph (:class:`ExportGraph`) holds everything after the data pipeline: the frames'
normalisation (the data preprocessor's mean / std), the visual backbone, VGGish, the audio
queries, the transformer decoder and the eq. 14-15 inference. Its inputs and outputs:

- ``frames``: uint8 ``[F, 3, H, W]`` RGB, the frames as the test pipeline resizes them (before
  normalisation), ``F`` frames of one clip;
- ``audio_log_mel``: float32 ``[T, 1, 96, 64]``, the clip's ``T = clip_seconds`` VGGish
  log-mel examples (the waveform-to-log-mel front end stays in Python:
  ``WaveformToLogMel``);
- ``frame_seconds``: int64 ``[F]``, the audio second of each frame (``0 .. T-1``; one frame
  per second is ``arange(T)``);
- ``fg_prob``: float32 ``[F, H, W]``, the foreground (sounding) probability (eq. 14);
- ``classes``: int64 ``[F, H, W]``, the class map (eq. 15; 0 = background; binary models
  1 = sounding).

The export uses torch's dynamo-based exporter (``torch.onnx.export(..., dynamo=True)``, the
one torch 2.9 recommends; it needs ``onnx`` and ``onnxscript``: ``pip install -e .[deploy]``).
The frame count ``F`` is dynamic; the frame size is fixed to the export size unless
``dynamic_size=True``; ``T`` is the model's ``clip_seconds``. What the model needs at run time
besides the graph (``clip_seconds``, ``num_classes``, the input size, ``dataset_meta``, the
config text) is stored in the ONNX file's metadata (``transavs.*`` keys).
"""
import json
import logging
import os
import os.path as osp
import tempfile
import time
import warnings
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ['ExportGraph', 'ExportRefused', 'METADATA_PREFIX', 'check_exportable',
           'example_inputs', 'export_onnx', 'require_deploy_extra']

#: Prefix of the metadata keys the export writes into the ONNX file.
METADATA_PREFIX = 'transavs.'
INPUT_NAMES = ('frames', 'audio_log_mel', 'frame_seconds')
OUTPUT_NAMES = ('fg_prob', 'classes')
#: Opset 23 has the Attention operator: ONNX Runtime runs it fused (measured 8% faster for R50
#: at 224 than opset 18's MatMul + Softmax chains).
DEFAULT_OPSET = 23


class ExportRefused(ValueError):
    """The model (or a config option of it) has no ONNX export path."""


def require_deploy_extra(*modules: str) -> None:
    """Raises ``ImportError`` naming the extra when one of ``modules`` is not installed."""
    import importlib.util
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f'{", ".join(missing)} not installed: ONNX export and ONNX Runtime '
                          'inference need the deploy extra (pip install -e .[deploy], or pip '
                          'install -r requirements/deploy.txt)')


def check_exportable(model: nn.Module) -> None:
    """Refuses, with the reason and the config key, what the ONNX export cannot represent.

    Raises:
        ExportRefused: not a TransAVS model; a compiled model; an unknown inference rule.
    """
    head = getattr(model, 'decode_head', None)
    if head is None or not hasattr(head, 'clip_seconds') or \
            not hasattr(model, '_predict_frames'):
        raise ExportRefused(f'only TransAVS models export to ONNX (with decode_head.clip_seconds '
                            f'and the eq. 14-15 inference), got {type(model).__name__}')
    if getattr(model, 'compile_options', None):
        raise ExportRefused('model.compile is set (torch.compile): export the eager model '
                            '(remove the compile option or --compile); the ONNX graph is '
                            'optimised by ONNX Runtime instead')
    rule = head.test_cfg.get('inference', 'eq14')
    if rule not in ('eq14', 'threshold'):
        raise ExportRefused(f'model.decode_head.test_cfg.inference={rule!r} has no export path '
                            "(the graph implements 'eq14' and 'threshold')")
    preprocessor = getattr(model, 'data_preprocessor', None)
    if preprocessor is None or not hasattr(preprocessor, 'mean') or \
            not hasattr(preprocessor, 'std'):
        raise ExportRefused('model.data_preprocessor has no mean / std (AVSDataPreprocessor): '
                            'the graph normalises the frames itself and needs them')


class ExportGraph(nn.Module):
    """The exported computation (module docstring): one clip, eq. 14-15 at the input size.

    Args:
        model (nn.Module): a TransAVS model in eval mode.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        check_exportable(model)
        self.model = model
        self.frame_chunk = model.decode_head.test_cfg.get('frame_chunk', 8)
        # (1, 1, 3, 1, 1) -> (1, 3, 1, 1): per-frame normalisation of [F, 3, H, W]
        self.register_buffer('mean', model.data_preprocessor.mean.reshape(1, 3, 1, 1).float(),
                             persistent=False)
        self.register_buffer('std', model.data_preprocessor.std.reshape(1, 3, 1, 1).float(),
                             persistent=False)

    def model_inputs(self, frames: Tensor, audio_log_mel: Tensor,
                     frame_seconds: Tensor) -> Dict[str, Tensor]:
        """The graph's inputs as the model takes them: normalised frames, one clip."""
        frames = (frames.float() - self.mean) / self.std  # [F, 3, H, W]
        return dict(
            frames=frames[None],  # (F, 3, H, W) -> (1, F, 3, H, W): one clip
            audio_log_mel=audio_log_mel.float()[None],  # (T, 1, 96, 64) -> (1, T, 1, 96, 64)
            frame_seconds=frame_seconds.long()[None])  # (F,) -> (1, F)

    def forward(self, frames: Tensor, audio_log_mel: Tensor,
                frame_seconds: Tensor) -> Tuple[Tensor, Tensor]:
        inputs = self.model_inputs(frames, audio_log_mel, frame_seconds)
        test_cfg = self.model.decode_head.test_cfg
        test_cfg['frame_chunk'] = 0  # all frames in one go: the frame count stays dynamic
        try:
            probs, classes = self.model._predict_frames(inputs)  # [1*F, H, W] each
        finally:
            test_cfg['frame_chunk'] = self.frame_chunk
        return probs, classes


def example_inputs(clip_seconds: int, size: Tuple[int, int], num_frames: Optional[int] = None,
                   seed: int = 0) -> Tuple[Tensor, Tensor, Tensor]:
    """Random inputs of the graph's types: ``num_frames`` (default ``T``) frames of ``size``."""
    num_frames = num_frames or clip_seconds
    gen = torch.Generator().manual_seed(seed)
    frames = torch.randint(0, 256, (num_frames, 3, *size), generator=gen, dtype=torch.uint8)
    log_mel = torch.rand((clip_seconds, 1, 96, 64), generator=gen) * 4 - 2
    seconds = (torch.arange(num_frames) * clip_seconds // num_frames).long()
    return frames, log_mel, seconds


def _metadata(model: nn.Module, size: Tuple[int, int], dynamic_size: bool,
              exporter_info: Dict[str, str]) -> Dict[str, str]:
    cfg = getattr(model, 'cfg', None)
    meta = dict(
        clip_seconds=str(int(model.decode_head.clip_seconds)),
        num_classes=str(int(getattr(model.decode_head, 'num_classes', 2))),
        input_size='dynamic' if dynamic_size else f'{size[0]}x{size[1]}',
        export_size=f'{size[0]}x{size[1]}',
        dataset_meta=json.dumps(_plain(getattr(model, 'dataset_meta', None) or {})),
        config=cfg.pretty_text if cfg is not None else '',
        **exporter_info)
    return {METADATA_PREFIX + k: v for k, v in meta.items()}


def _plain(value):
    """JSON-able copy of dataset_meta (tuples -> lists, numpy -> Python)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def export_onnx(model: nn.Module, out: str, size: Tuple[int, int] = (224, 224),
                num_frames: Optional[int] = None, dynamic_size: bool = False,
                opset: int = DEFAULT_OPSET) -> Dict[str, object]:
    """Exports ``model`` to ``out`` (written atomically: complete or not at all).

    Args:
        model (nn.Module): a TransAVS model (its weights loaded); put in eval mode.
        out (str): the ``.onnx`` file.
        size (tuple[int, int]): the frame size ``(H, W)`` of the export (and of the graph,
            unless ``dynamic_size``): the test pipeline's scale.
        num_frames (int, optional): frames of the example clip (default ``T``); the frame
            count is dynamic in the graph either way.
        dynamic_size (bool): frame height and width dynamic too.
        opset (int): ONNX opset version.

    Returns:
        dict: ``seconds`` (export time), ``bytes`` (file size), ``opset``.

    Raises:
        ExportRefused: the model cannot be exported (:func:`check_exportable`, or the
            exporter's own failure, with its message).
    """
    require_deploy_extra('onnx', 'onnxscript')
    model.eval()
    graph = ExportGraph(model).eval()
    clip_seconds = int(model.decode_head.clip_seconds)
    args = example_inputs(clip_seconds, size, num_frames)
    frames_dim = torch.export.Dim('frames', min=1, max=4096)
    frame_dims: Dict[int, object] = {0: frames_dim}
    if dynamic_size:
        # multiples of 32: the backbones' strides
        frame_dims.update({2: 32 * torch.export.Dim('h32', min=1, max=128),
                           3: 32 * torch.export.Dim('w32', min=1, max=128)})
        if size[0] % 32 or size[1] % 32:
            raise ExportRefused(f'--dynamic exports frame sizes in multiples of 32; the export '
                                f'size {size[0]}x{size[1]} is not one')
    dynamic_shapes = dict(frames=frame_dims, audio_log_mel=None,
                          frame_seconds={0: frames_dim})
    start = time.perf_counter()
    # The exporter logs one line per mmcv op it cannot annotate (ops this graph does not use)
    # and warns that the frame dimension is shared by two inputs (as intended).
    schemas = logging.getLogger('torch.onnx._internal.exporter._schemas')
    level = schemas.level
    schemas.setLevel(logging.ERROR)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.filterwarnings('ignore', message='# The axis name: ')
            program = torch.onnx.export(
                graph, args, dynamo=True, dynamic_shapes=dynamic_shapes,
                input_names=list(INPUT_NAMES), output_names=list(OUTPUT_NAMES),
                opset_version=opset, optimize=True, verbose=False)
    except Exception as error:  # noqa: BLE001 - the exporter raises many kinds; all refuse
        raise ExportRefused(f'torch.onnx.export could not export this model: '
                            f'{type(error).__name__}: {str(error).strip()[:2000]}') from error
    finally:
        schemas.setLevel(level)
    seconds = time.perf_counter() - start
    import onnx
    program.model.metadata_props.update(_metadata(
        model, size, dynamic_size,
        dict(torch=torch.__version__, onnx=onnx.__version__, opset=str(opset))))
    out = osp.abspath(out)
    os.makedirs(osp.dirname(out), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(out)}.', suffix='.tmp',
                               dir=osp.dirname(out))
    os.close(fd)
    try:
        program.save(tmp)
        os.replace(tmp, out)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    return dict(seconds=seconds, bytes=osp.getsize(out), opset=opset)

