"""Deployment: ONNX export of a TransAVS model and ONNX Runtime inference (``[deploy]`` extra;
nothing here imports onnx or onnxruntime until it is used)."""
from .onnx_export import ExportGraph, ExportRefused, check_exportable, export_onnx
from .onnx_model import ONNXSegmentor, init_onnx_model

__all__ = ['ExportGraph', 'ExportRefused', 'check_exportable', 'export_onnx', 'ONNXSegmentor',
           'init_onnx_model']
