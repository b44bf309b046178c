"""Model speed, memory and FLOPs (``projects.transavs.benchmark``) on the CPU."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from projects.transavs.benchmark import (
    SpeedOptions,
    benchmark_frame_size,
    benchmark_model,
    compile_options,
    instance_targets_cfg,
    make_batch,
    model_cfg,
    timed,
)


@pytest.fixture(scope='module')
def cfg(repo_root):
    return Config.fromfile(osp.join(repo_root, 'configs/transavs_tiny_s4.py'))


def test_benchmark_tiny_cpu(cfg):
    results = benchmark_model(cfg, 'cpu', batch_clips=1, size=(64, 64), graphs=False,
                              options=SpeedOptions(iters=1, warmup=1))
    fast, ref = results
    assert (fast['setting'], ref['setting']) == ('fast', 'reference')
    for r in results:
        assert r['step_s'] > 0 and r['clips_per_s'] > 0 and r['infer_frames_per_s'] > 0
        assert r['params'] > r['trainable'] > 0 or r['params'] == r['trainable'] > 0
        assert r['gflops_per_frame'] > 0 and r['mfu'] is None  # no known CPU peak
        assert r['aten_ops'] > 100 and 'launches' not in r  # no kernel launches on the CPU
        assert not r['compiled'] and 'graph_breaks' not in r
    assert fast['gflops_per_frame'] == ref['gflops_per_frame']  # counted once
    only = benchmark_model(cfg, 'cpu', batch_clips=1, size=(64, 64),
                           options=SpeedOptions(iters=1, warmup=0, profile=False),
                           reference=False, flops=False, graphs=False)
    assert len(only) == 1
    assert not {'gflops_per_frame', 'aten_ops', 'graph_breaks'} & set(only[0])


def test_benchmark_compiled_step(cfg):
    """The compiled step beside the eager one, without a graph break for the config's
    'components' targets, whose random batch carries the instance maps of the config's
    ClipInstanceTargets (the 'eager' backend: dynamo's tracing without the inductor's minutes
    of compiling). The other target modes' graphs: tests/models/test_compile.py."""
    fast, ref = benchmark_model(cfg, 'cpu', batch_clips=1, size=(64, 64), flops=False,
                                options=SpeedOptions(compile=True, compile_backend='eager',
                                                     iters=1, warmup=1))
    assert fast['compiled'] and not ref['compiled']
    assert (fast['graphs'], fast['graph_breaks'], fast['break_reasons']) == (1, 0, [])
    assert fast['first_step_s'] > 0 and fast['step_s'] > 0
    assert fast['aten_ops'] > 100 and ref['aten_ops'] > 100


def test_settings_and_sizes(cfg):
    fast = model_cfg(cfg, True, SpeedOptions(channels_last=True, compile=True))
    ref = model_cfg(cfg, False, SpeedOptions(channels_last=True, compile=True))
    assert fast.channels_last and fast.compile == dict(backend='inductor', mode='default')
    assert compile_options(SpeedOptions(compile_mode='reduce-overhead', compile_backend='eager')
                           ) == dict(backend='eager')  # a mode is the inductor's
    with pytest.raises(ValueError, match='compile_mode must be one of'):
        compile_options(SpeedOptions(compile_mode='fast'))
    assert not ref.channels_last and not ref.compile
    plain = model_cfg(cfg, True, SpeedOptions())
    assert not plain.channels_last and 'compile' not in plain
    assert 'compile' not in cfg.model  # the config itself is not changed
    assert benchmark_frame_size(cfg, (48, 32)) == (48, 32)
    scale = [s for s in cfg.test_pipeline if s['type'] == 'LoadClipFrames'][0]['scale']
    assert benchmark_frame_size(cfg) == (scale[1], scale[0])


def test_batch_and_timing():
    batch = make_batch(2, 3, (16, 12), 'cpu')
    assert [f.shape for f in batch['inputs']['frames']] == [(3, 3, 16, 12)] * 2
    assert batch['inputs']['frames'][0].dtype == torch.uint8
    assert batch['inputs']['audio_log_mel'][0].shape == (3, 1, 96, 64)
    gt = batch['data_samples'][0].gt_sem_seg.data
    assert gt.shape == (3, 16, 12) and 0 < gt.sum() < gt.numel()
    again = make_batch(2, 3, (16, 12), 'cpu')
    assert torch.equal(again['inputs']['frames'][1], batch['inputs']['frames'][1])
    # with the instance maps of a config's ClipInstanceTargets (also inside ConcatDataset)
    step = instance_targets_cfg(Config(dict(train_dataloader=dict(dataset=dict(
        type='ConcatDataset', datasets=[dict(pipeline=[dict(type='LoadClipMasks'), dict(
            type='ClipInstanceTargets', max_instances=3)])])))))
    assert step == dict(type='ClipInstanceTargets', max_instances=3)
    assert instance_targets_cfg(Config(dict(train_dataloader=dict(dataset=dict(
        pipeline=[dict(type='PackAVSInputs')]))))) is None
    labelled = make_batch(2, 3, (16, 12), 'cpu', instance_targets=step)
    sample = labelled['data_samples'][0]
    assert sample.gt_instance_map.data.shape == (3, 16, 12)
    assert sample.gt_instance_labels.shape == (3, 3)
    assert torch.equal(sample.gt_instance_map.data == 0, sample.gt_sem_seg.data == 0)
    assert sample.metainfo['instance_mode'] == 'components'
    calls = []
    assert timed(lambda: calls.append(1), 'cpu', warmup=2, iters=3) >= 0
    assert len(calls) == 5


def test_fused_attention_flops_are_counted():
    """FlopAnalyzer counts eq. 2's two matrix products inside the fused kernel."""
    from mmengine.analysis import FlopAnalyzer

    from projects.transavs.benchmark.flops import attention_flop_jit
    from projects.transavs.models.layers import MultiHeadAttention

    attn = MultiHeadAttention(32, 4).eval()
    q, kv = torch.randn(2, 7, 32), torch.randn(2, 11, 32)
    analyzer = FlopAnalyzer(attn, (q, kv, kv))
    analyzer.set_op_handle('aten::scaled_dot_product_attention', attention_flop_jit)
    analyzer.unsupported_ops_warnings(False)
    projections = 2 * (2 * 7 * 32 * 32) + 2 * (2 * 11 * 32 * 32)  # q, out; k, v (mult-adds)
    products = 2 * 4 * 7 * 11 * (8 + 8)  # Q K^T and softmax(.) V over 4 heads of 8
    assert analyzer.total() == projections + products
