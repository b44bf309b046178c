"""An exported TransAVS graph run by ONNX Runtime, with PyTorch inference's pre- and
post-processing.

:class:`ONNXSegmentor` has what :func:`~projects.transavs.apis.inference_avs` and
:func:`~projects.transavs.apis.segment_video` use of a model (``cfg`` for the test pipeline,
``decode_head.clip_seconds`` / ``num_classes``, ``dataset_meta``, ``test_step``), so both run
on it unchanged: the frames and audio go through the config's test pipeline, ONNX Runtime runs
the graph, and the predictions are restored to the frames' size by the function PyTorch
inference uses (:func:`~projects.transavs.models.segmentors.transavs.restore_predictions`). No
mmseg model is built and no checkpoint is read.
"""
import json
import os
import os.path as osp
from types import SimpleNamespace
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config

from ..models.segmentors.transavs import restore_predictions
from ..structures import AVSDataSample
from .onnx_export import METADATA_PREFIX, require_deploy_extra

__all__ = ['ONNXSegmentor', 'init_onnx_model']


def _session_options(num_threads: Optional[int]):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = int(num_threads or torch.get_num_threads())
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return options


class ONNXSegmentor:
    """An exported TransAVS model (``tools/deploy/export_onnx.py``) on ONNX Runtime.

    Args:
        onnx_file (str): the ``.onnx`` file.
        cfg (Config | str, optional): the config whose test pipeline prepares the inputs;
            defaults to the config stored in the file at export.
        num_threads (int, optional): ONNX Runtime's intra-op threads (default: torch's
            thread count).
        providers (list[str], optional): ONNX Runtime execution providers (default CPU).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not an ONNX file of this exporter (no ``transavs.*`` metadata), or a
            config whose test pipeline resizes the frames to another size than the graph's.
    """

    def __init__(self, onnx_file: str, cfg: Optional[Union[Config, str]] = None,
                 num_threads: Optional[int] = None,
                 providers: Optional[List[str]] = None) -> None:
        require_deploy_extra('onnxruntime')
        import onnxruntime as ort
        if not osp.isfile(onnx_file):
            raise FileNotFoundError(f'ONNX model {onnx_file} does not exist')
        try:
            self.session = ort.InferenceSession(
                onnx_file, _session_options(num_threads),
                providers=providers or ['CPUExecutionProvider'])
        except Exception as error:  # noqa: BLE001 - ORT raises its own Fail / InvalidGraph
            raise ValueError(f'{onnx_file} is not an ONNX model ONNX Runtime can load: '
                             f'{error}') from error
        self.onnx_file = onnx_file
        meta = {k[len(METADATA_PREFIX):]: v for k, v in
                self.session.get_modelmeta().custom_metadata_map.items()
                if k.startswith(METADATA_PREFIX)}
        missing = {'clip_seconds', 'num_classes', 'input_size'} - set(meta)
        if missing:
            raise ValueError(f'{onnx_file} was not written by tools/deploy/export_onnx.py (no '
                             f'{", ".join(sorted(METADATA_PREFIX + m for m in missing))} '
                             'metadata)')
        self.metadata = meta
        self.decode_head = SimpleNamespace(clip_seconds=int(meta['clip_seconds']),
                                           num_classes=int(meta['num_classes']))
        self.dataset_meta = json.loads(meta.get('dataset_meta') or '{}') or None
        if isinstance(cfg, str):
            from ..engine import read_config
            cfg = read_config(cfg)
        elif cfg is None and meta.get('config'):
            cfg = Config.fromstring(meta['config'], '.py')
        self.cfg = cfg
        self.input_size = None if meta['input_size'] == 'dynamic' else tuple(
            int(v) for v in meta['input_size'].split('x'))
        self._inputs = [i.name for i in self.session.get_inputs()]
        self._check_pipeline_size()

    def _check_pipeline_size(self) -> None:
        if self.input_size is None or self.cfg is None:
            return
        from ..apis.inference import pipeline_frame_scale
        scale, _ = pipeline_frame_scale(self.cfg)  # (w, h) or None (frames kept as they are)
        where = f'the test pipeline of {self.cfg.filename or "the config"}'
        if scale is None:
            raise ValueError(
                f'{self.onnx_file} takes frames of {self.input_size[0]}x{self.input_size[1]} '
                f'(H x W, fixed at export), but {where} keeps frames at their own size: give '
                'its frame loader a scale, or export with --dynamic')
        if (int(scale[1]), int(scale[0])) != self.input_size:
            raise ValueError(
                f'{self.onnx_file} takes frames of {self.input_size[0]}x{self.input_size[1]} '
                f'(H x W, fixed at export), but {where} resizes them to scale={tuple(scale)} '
                f'(W, H): use the config the model was exported with, or export with --size '
                f'{scale[1]} {scale[0]} (or --dynamic)')

    # --------------------------------------------------------------------------- running
    def predict_frames(self, frames: np.ndarray, audio_log_mel: np.ndarray,
                       frame_seconds: Optional[np.ndarray] = None
                       ) -> Tuple[np.ndarray, np.ndarray]:
        """Runs the graph on one clip.

        Args:
            frames (np.ndarray): uint8 ``[F, 3, H, W]`` RGB, resized as the test pipeline does.
            audio_log_mel (np.ndarray): float32 ``[T, 1, 96, 64]``.
            frame_seconds (np.ndarray, optional): int64 ``[F]``; default ``arange(F)`` (one
                frame per second; then ``F`` must be ``T``).

        Returns:
            tuple[np.ndarray, np.ndarray]: float32 ``[F, H, W]`` foreground probability and
            int64 ``[F, H, W]`` class map, at the network input size.
        """
        frames = np.ascontiguousarray(frames, dtype=np.uint8)
        log_mel = np.ascontiguousarray(audio_log_mel, dtype=np.float32)
        if frame_seconds is None:
            if len(frames) != self.decode_head.clip_seconds:
                raise ValueError(f'{len(frames)} frames for {self.decode_head.clip_seconds} '
                                 's of audio need frame_seconds')
            frame_seconds = np.arange(len(frames))
        feeds: Dict[str, np.ndarray] = dict(
            frames=frames, audio_log_mel=log_mel,
            frame_seconds=np.ascontiguousarray(frame_seconds, dtype=np.int64))
        probs, classes = self.session.run(
            None, {k: v for k, v in feeds.items() if k in self._inputs})
        return probs, classes

    def test_step(self, data: dict) -> List[AVSDataSample]:
        """Like ``TransAVS.test_step`` on a ``pseudo_collate`` batch of packed clips.

        Args:
            data (dict): ``inputs`` (``frames`` uint8 ``[F, 3, H, W]``, ``audio_log_mel``,
                optional ``frame_seconds``, one per clip) and ``data_samples``.

        Returns:
            list[AVSDataSample]: ``pred_fg_prob`` and ``pred_sem_seg`` per clip, at the
            frames' size (``ori_shape``).
        """
        inputs, samples = data['inputs'], data['data_samples']
        seconds = inputs.get('frame_seconds')
        out = []
        for i, sample in enumerate(samples):
            frames = _numpy(inputs['frames'][i])
            log_mel = _numpy(inputs['audio_log_mel'][i])
            frame_seconds = _numpy(seconds[i]) if seconds is not None else None
            if frame_seconds is None:
                frame_seconds = np.arange(len(frames))  # one frame per second
            probs, classes = self.predict_frames(frames, log_mel, frame_seconds)
            # (F, H, W) -> (1, F, H, W): one clip for restore_predictions
            out += restore_predictions(torch.from_numpy(probs)[None], [sample],
                                       torch.from_numpy(classes)[None],
                                       binary=self.decode_head.num_classes == 2)
        return out

    def __repr__(self) -> str:
        return (f'ONNXSegmentor({self.onnx_file!r}, clip_seconds='
                f'{self.decode_head.clip_seconds}, num_classes={self.decode_head.num_classes}, '
                f'input_size={self.metadata["input_size"]}, providers='
                f'{self.session.get_providers()})')


def _numpy(value) -> np.ndarray:
    return value.cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def init_onnx_model(onnx_file: Union[str, os.PathLike],
                    config: Optional[Union[str, Config]] = None,
                    cfg_options: Optional[dict] = None,
                    num_threads: Optional[int] = None) -> ONNXSegmentor:
    """An :class:`ONNXSegmentor` for :func:`inference_avs` / :func:`segment_video`.

    Args:
        onnx_file (str): the exported model.
        config (str | Config, optional): the config for the test pipeline (default: the one
            stored at export).
        cfg_options (dict, optional): overrides of the config.
        num_threads (int, optional): ONNX Runtime's intra-op threads.
    """
    cfg = config
    if isinstance(cfg, (str, os.PathLike)):
        from ..engine import read_config
        cfg = read_config(str(cfg))
    if cfg is not None and cfg_options:
        cfg.merge_from_dict(cfg_options)
    return ONNXSegmentor(str(onnx_file), cfg, num_threads=num_threads)
