"""Inference speed of one model on PyTorch eager, PyTorch compiled and ONNX Runtime, in one
process on the same inputs.

All backends run the same computation, :class:`~projects.transavs.deploy.ExportGraph` (frames'
normalisation, backbone, VGGish, head, eq. 14-15) on one clip of ``T`` frames: PyTorch calls it
directly (eager, or ``torch.compile``-d), ONNX Runtime runs its export. The model has random
weights (speed does not depend on them); the export goes to a temporary folder.
"""
import os.path as osp
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from .timing import timed

__all__ = ['benchmark_inference_backends']


def benchmark_inference_backends(cfg: Config, size: Sequence[int], threads: int = 2,
                                 iters: int = 5, warmup: int = 2, compiled: bool = False,
                                 opset: Optional[int] = None) -> List[Dict[str, object]]:
    """Frames/s of PyTorch eager, (optionally) compiled, and ONNX Runtime (CPU provider).

    Args:
        cfg (Config): the config (its ``model``).
        size (Sequence[int]): ``(h, w)`` of the frames.
        threads (int): threads of PyTorch and of ONNX Runtime (intra-op).
        iters (int): timed runs (the median is reported).
        warmup (int): untimed runs first.
        compiled (bool): also ``torch.compile`` (inductor) the eager module.
        opset (int, optional): the export's opset (default the exporter's).

    Returns:
        list[dict]: per backend ``backend``, ``frames_per_s``, ``ms_per_clip``, ``speedup``
        (over eager); ONNX Runtime also ``export_s`` and ``onnx_mib``; compiled also
        ``compile_s`` (its first call).
    """
    from ..deploy import ONNXSegmentor, export_onnx
    from ..deploy.onnx_export import DEFAULT_OPSET, ExportGraph, example_inputs
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    model.cfg = cfg
    clip_seconds = int(model.decode_head.clip_seconds)
    frames, log_mel, seconds = example_inputs(clip_seconds, tuple(size))
    graph = ExportGraph(model).eval()
    results = []

    def run_eager(module):
        with torch.no_grad():
            module(frames, log_mel, seconds)

    eager_s = timed(lambda: run_eager(graph), 'cpu', warmup, iters)
    results.append(dict(backend='PyTorch eager', seconds=eager_s))
    if compiled:
        compiled_graph = torch.compile(graph)
        start = time.perf_counter()
        run_eager(compiled_graph)
        first = time.perf_counter() - start
        compiled_s = timed(lambda: run_eager(compiled_graph), 'cpu', warmup, iters)
        results.append(dict(backend='PyTorch compiled (inductor)', seconds=compiled_s,
                            compile_s=first))
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'model.onnx')
        info = export_onnx(model, path, size=tuple(size), opset=opset or DEFAULT_OPSET)
        runner = ONNXSegmentor(path, cfg, num_threads=threads)
        args = (frames.numpy(), log_mel.numpy(), seconds.numpy())
        ort_s = timed(lambda: runner.predict_frames(*args), 'cpu', warmup, iters)
        results.append(dict(backend='ONNX Runtime (CPU)', seconds=ort_s,
                            export_s=info['seconds'], onnx_mib=info['bytes'] / 2**20,
                            opset=info['opset']))
    for r in results:
        r['frames_per_s'] = frames.shape[0] / r['seconds']
        r['ms_per_clip'] = 1000 * r.pop('seconds')
        r['speedup'] = eager_s * 1000 / r['ms_per_clip']
    return results
