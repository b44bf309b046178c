"""Benchmarks: the speed, memory and FLOPs of a model (:mod:`.model_speed`) and the
throughput of the data pipeline (:mod:`.data_throughput`), inference on PyTorch and ONNX
Runtime (:mod:`.onnx_speed`, needs the deploy extra); ``tools/benchmark.py`` and
``tools/benchmark_data.py`` are their command lines. Importing this package registers nothing.
"""
from .batch import instance_targets_cfg, make_batch
from .compile_report import loss_graph_breaks, ops_per_step
from .data_throughput import SOURCES, data_pipeline_throughput, measure, pipeline_for
from .flops import PEAK_TFLOPS, forward_flops_per_frame
from .model_speed import (
    AMP_DTYPES,
    COMPILE_MODES,
    SpeedOptions,
    benchmark_frame_size,
    benchmark_model,
    compile_options,
    model_cfg,
    run_setting,
)
from .onnx_speed import benchmark_inference_backends
from .timing import peak_memory_gib, sync, timed

__all__ = [
    'instance_targets_cfg', 'make_batch', 'loss_graph_breaks', 'ops_per_step', 'SOURCES',
    'data_pipeline_throughput',
    'measure', 'pipeline_for', 'PEAK_TFLOPS', 'forward_flops_per_frame', 'AMP_DTYPES',
    'COMPILE_MODES', 'SpeedOptions', 'benchmark_frame_size', 'compile_options',
    'benchmark_model', 'model_cfg', 'run_setting', 'peak_memory_gib', 'sync', 'timed',
    'benchmark_inference_backends'
]
