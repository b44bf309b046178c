"""The tiny and the R50 TransAVS on a CUDA GPU: a training step and inference in fp32 and in
bf16 autocast agree, the compiled step (inductor; 'semantic' and 'components' targets) equals
the eager one, CUDA graphs
(``mode='reduce-overhead'``) capture the compiled step, and the attention runs on a fused
``scaled_dot_product_attention`` kernel.

Marked ``cuda`` and skipped without a GPU; run them with ``python -m pytest -m cuda tests/cuda``.
Random weights (no pretrained files), random clips from :func:`make_batch`.
"""
import copy
import os.path as osp

import pytest
import torch
from instance_batches import two_sounding_regions, with_instances
from mmengine.config import Config
from mmseg.registry import MODELS
from torch.nn.attention import SDPBackend, sdpa_kernel

from projects.transavs.benchmark import make_batch, ops_per_step, sync
from projects.transavs.models.layers import MultiHeadAttention

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(),
                       reason='needs a CUDA GPU (torch.cuda.is_available() is False)'),
]

DEVICE = 'cuda'
#: model config, clips per batch and frame size of each case
CASES = {
    'tiny': ('configs/_base_/models/transavs_tiny.py', 2, (128, 128)),
    'r50': ('configs/_base_/models/transavs_r50.py', 1, (224, 224)),
}
#: the fused kernels; leaving out ``SDPBackend.MATH`` makes a call that needs it fail
FUSED_SDPA = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
              SDPBackend.CUDNN_ATTENTION]


def _model(repo_root, case, gt_instances=None, **overrides):
    """A randomly initialised model of a case on the GPU, in training mode."""
    cfg = Config.fromfile(osp.join(repo_root, CASES[case][0])).model
    cfg.backbone.init_cfg = None  # no pretrained files
    cfg.audio_backbone.init_cfg = None
    if gt_instances:
        cfg.decode_head.criterion.gt_instances = gt_instances
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.to(DEVICE).train()


def _batch(case, seed=0):
    _, clips, size = CASES[case]
    return make_batch(clips, 5, size, DEVICE, seed=seed)


def _data(model, batch):
    """A batch through the data preprocessor (training)."""
    return model.data_preprocessor(copy.deepcopy(batch), True)


def _step(model, data, amp=None, seed=1):
    """Losses and gradients of one training step, copied (CUDA-graph outputs are reused)."""
    torch.manual_seed(seed)
    with torch.autocast(DEVICE, dtype=amp or torch.float32, enabled=amp is not None):
        losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    model.zero_grad(set_to_none=True)
    total.backward()
    sync(DEVICE)
    grads = {n: p.grad.detach().float().clone() for n, p in model.named_parameters()
             if p.grad is not None}
    return {k: v.detach().float().clone() for k, v in losses.items()}, grads


def _flat(grads):
    return torch.cat([g.flatten() for _, g in sorted(grads.items())]).double()


def _outputs(model, batch, amp=None):
    """Final-layer class and mask probabilities (not the eq. 14 maps, whose near-ties at
    random weights flip with any rounding) and the eq. 14 foreground probabilities."""
    model.eval()
    with torch.no_grad(), torch.autocast(DEVICE, dtype=amp or torch.float32,
                                         enabled=amp is not None):
        data = model.data_preprocessor(copy.deepcopy(batch), False)
        outs = model(**data, mode='tensor')
        samples = model.predict(data['inputs'], data['data_samples'])
    model.train()
    probs = torch.cat([outs['cls_logits'][-1].float().softmax(-1).flatten(),
                       outs['mask_logits'][-1].float().sigmoid().flatten()])
    return probs, torch.stack([s.pred_fg_prob.data for s in samples])


@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16])
def test_attention_runs_on_a_fused_kernel(repo_root, dtype):
    """Eq. 2 on flash / memory-efficient / cuDNN attention, never the math fallback."""
    attn = MultiHeadAttention(256, 8).to(DEVICE)
    q = torch.randn(4, 300, 256, device=DEVICE, requires_grad=True)
    kv = torch.randn(4, 3136, 256, device=DEVICE)
    with sdpa_kernel(FUSED_SDPA), torch.autocast(DEVICE, dtype=dtype,
                                                 enabled=dtype != torch.float32):
        attn(q, kv, kv).sum().backward()
    assert torch.isfinite(q.grad).all()
    model = _model(repo_root, 'tiny')  # the whole model: forward and backward
    with sdpa_kernel(FUSED_SDPA):
        losses, grads = _step(model, _data(model, _batch('tiny')),
                              amp=dtype if dtype != torch.float32 else None)
    assert all(torch.isfinite(v).all() for v in losses.values()) and grads


@pytest.mark.parametrize('case', sorted(CASES))
def test_bf16_autocast_agrees_with_fp32(repo_root, case):
    model = _model(repo_root, case)
    batch = _batch(case)
    data = _data(model, batch)
    losses32, grads32 = _step(model, data)
    losses16, grads16 = _step(model, data, amp=torch.bfloat16)
    assert losses16.keys() == losses32.keys() and grads16.keys() == grads32.keys()
    total32 = sum(v for k, v in losses32.items() if 'loss' in k)
    total16 = sum(v for k, v in losses16.items() if 'loss' in k)
    torch.testing.assert_close(total16, total32, rtol=0.03, atol=0.03)
    g32, g16 = _flat(grads32), _flat(grads16)
    assert torch.isfinite(g16).all()
    assert torch.nn.functional.cosine_similarity(g16, g32, dim=0) > 0.95
    probs32, fg32 = _outputs(model, batch)
    probs16, fg16 = _outputs(model, batch, amp=torch.bfloat16)
    assert (probs16 - probs32).abs().mean() < 0.02
    assert fg16.shape == fg32.shape and 0 <= fg16.min() and fg16.max() <= 1


@pytest.mark.parametrize('case,gt_instances', [(case, targets) for case in sorted(CASES)
                                                for targets in ('semantic', 'components')])
def test_compiled_step_equals_eager(repo_root, case, gt_instances):
    """The inductor's step (one graph, fullgraph=True) computes the eager step;
    ``fallback_random`` makes its random points the eager ones. 'components': the instance
    maps of ClipInstanceTargets with a frame of three instances, matched on the device by the
    compiled step and by scipy in the eager one (3 slots, all used: the same random draws)."""
    eager = _model(repo_root, case, gt_instances)
    compiled = _model(repo_root, case, gt_instances, compile=dict(mode='default'))
    assert compiled.compile_options['fullgraph']
    compiled.load_state_dict(eager.state_dict())
    batch = _batch(case)
    if gt_instances == 'components':
        batch = with_instances(two_sounding_regions(batch), max_instances=3)
    data = _data(eager, batch)
    with torch._inductor.config.patch(fallback_random=True):
        for _ in range(2):  # compiling, then compiled
            losses_e, grads_e = _step(eager, data)
            losses_c, grads_c = _step(compiled, data)
            for name, value in losses_e.items():
                torch.testing.assert_close(losses_c[name], value, rtol=1e-3, atol=1e-4)
            g_e, g_c = _flat(grads_e), _flat(grads_c)
            assert (g_c - g_e).norm() <= 1e-2 * g_e.norm()


@pytest.mark.parametrize('gt_instances', ['semantic', 'components'])
def test_cuda_graphs_capture_the_step(repo_root, gt_instances):
    """``mode='reduce-overhead'``: the compiled training forward and backward replay as CUDA
    graphs (no graph skipped, ``cudaGraphLaunch`` in the profiled step), also with the
    device matching of 'components' targets."""
    from torch._dynamo.utils import counters

    counters.clear()
    eager = _model(repo_root, 'tiny', gt_instances)
    compiled = _model(repo_root, 'tiny', gt_instances, compile=dict(mode='reduce-overhead'))
    compiled.load_state_dict(eager.state_dict())
    batch = _batch('tiny')
    if gt_instances == 'components':
        batch = with_instances(two_sounding_regions(batch), max_instances=3)
    data = _data(eager, batch)
    with torch._inductor.config.patch(fallback_random=True):
        for step in range(3):  # warm-up, recording, replay
            losses_e, _ = _step(eager, data)
            losses_c, _ = _step(compiled, data)
            total_e = sum(v for k, v in losses_e.items() if 'loss' in k)
            total_c = sum(v for k, v in losses_c.items() if 'loss' in k)
            # The warm-up runs the compiled code outside a graph: the eager random points.
            # Recorded and replayed graphs draw theirs from the graph-safe generator state;
            # other points would still give the total within a few per cent.
            rtol = 1e-3 if step == 0 else 0.05
            torch.testing.assert_close(total_c, total_e, rtol=rtol, atol=1e-3)
        counts = ops_per_step(lambda: _step(compiled, data), DEVICE)
    assert counters['inductor']['cudagraph_skips'] == 0
    assert counts['graph_launches'] >= 2  # the forward and the backward graph
