"""ONNX export of the tiny AVSBench-semantic model with a dynamic frame size, ONNX Runtime
against PyTorch, and what the export and the runtime refuse."""
import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

from projects.transavs.apis import inference_avs
from projects.transavs.datasets.semantic_palette import AVSS_CLASSES, bit_palette
from projects.transavs.deploy import ExportRefused, ONNXSegmentor, check_exportable, export_onnx
from projects.transavs.deploy.onnx_verify import PROB_TOL, verify_onnx


def test_avss_export_with_dynamic_size(avss_model, tmp_path):
    path = str(tmp_path / 'avss.onnx')
    info = export_onnx(avss_model, path, size=(96, 96), dynamic_size=True)
    assert info['opset'] == 23 and info['bytes'] > 0
    report = verify_onnx(avss_model, path, size=(96, 96), num_threads=1)
    assert report['passed'], report['failures']
    # T and 2T frames at the export size, and T frames at 128 x 64
    assert [(c['frames'], c['pixels']) for c in report['clips']] == \
        [(10, 10 * 96 * 96), (20, 20 * 96 * 96), (10, 10 * 128 * 64)]
    assert report['max_abs_prob_diff'] <= PROB_TOL

    runner = ONNXSegmentor(path, num_threads=1)
    assert runner.decode_head.clip_seconds == 10 and runner.decode_head.num_classes == 71
    assert runner.input_size is None  # dynamic
    assert runner.dataset_meta == dict(classes=list(AVSS_CLASSES),
                                       palette=bit_palette().tolist())
    # inference_avs on both: the same fields, the same class maps (several classes present)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (3, 70, 90, 3), dtype=np.uint8)
    wave = rng.standard_normal(16000 * 3).astype(np.float32) * 0.1
    times = [0.5, 4.2, 9.9]
    ref = inference_avs(avss_model, frames, wave, sample_rate=16000, frame_times=times)
    got = inference_avs(runner, frames, wave, sample_rate=16000, frame_times=times)
    assert got.metainfo == ref.metainfo
    assert (got.pred_fg_prob.data - ref.pred_fg_prob.data).abs().max() <= PROB_TOL
    same = (got.pred_sem_seg.data == ref.pred_sem_seg.data).float().mean()
    assert same > 0.999, same
    assert len(torch.unique(ref.pred_sem_seg.data)) >= 2  # not one class everywhere


def test_refusals(avss_model, tmp_path, repo_root):
    with pytest.raises(ExportRefused, match='only TransAVS models export to ONNX'):
        check_exportable(torch.nn.Linear(2, 2))
    avss_model.compile_options = dict(mode='default')
    try:
        with pytest.raises(ExportRefused, match='model.compile is set'):
            check_exportable(avss_model)
    finally:
        avss_model.compile_options = None
    with pytest.raises(ExportRefused, match='--dynamic exports frame sizes in multiples of 32'):
        export_onnx(avss_model, str(tmp_path / 'x.onnx'), size=(90, 96), dynamic_size=True)
    assert not (tmp_path / 'x.onnx').exists()

    # an ONNX file of another exporter, a file that is not ONNX, a missing file
    graph = helper.make_graph([helper.make_node('Identity', ['x'], ['y'])], 'g',
                              [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1])])
    plain = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 18)])
    onnx.save(plain, str(tmp_path / 'plain.onnx'))
    with pytest.raises(ValueError, match=r'was not written by tools/deploy/export_onnx.py \(no '
                       'transavs.clip_seconds, transavs.input_size, transavs.num_classes'):
        ONNXSegmentor(str(tmp_path / 'plain.onnx'))
    (tmp_path / 'junk.onnx').write_bytes(b'not a model')
    with pytest.raises(ValueError, match='is not an ONNX model ONNX Runtime can load'):
        ONNXSegmentor(str(tmp_path / 'junk.onnx'))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        ONNXSegmentor(str(tmp_path / 'missing.onnx'))

    # a graph fixed at 64 x 64 with a config whose pipeline resizes to 224 x 224
    helper.set_model_props(plain, {'transavs.clip_seconds': '5', 'transavs.num_classes': '2',
                                   'transavs.input_size': '64x64'})
    onnx.save(plain, str(tmp_path / 'fixed.onnx'))
    with pytest.raises(ValueError, match=r'takes frames of 64x64 \(H x W, fixed at export\), '
                       r'but the test pipeline of .*transavs_tiny_s4.py resizes them to '
                       r'scale=\(224, 224\)'):
        ONNXSegmentor(str(tmp_path / 'fixed.onnx'), f'{repo_root}/configs/transavs_tiny_s4.py')
