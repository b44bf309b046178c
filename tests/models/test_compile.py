"""The training forward compiles (``torch.compile``) without graph breaks where it needs no host
synchronisation, breaks only at the host steps where it does, and the compiled step computes
what the eager one computes (CPU, with the cheap ``aot_eager`` backend: the inductor takes
about two minutes to compile the tiny model on two cores)."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS
from torch._dynamo.testing import CompileCounter, CompileCounterWithBackend

from projects.transavs.benchmark import make_batch
from projects.transavs.models import TransAVS


@pytest.fixture(scope='module')
def tiny_cfg(repo_root):
    return Config.fromfile(osp.join(repo_root, 'configs/_base_/models/transavs_tiny.py')).model


def _model(cfg, gt_instances, **overrides):
    cfg = copy.deepcopy(cfg)
    cfg.decode_head.criterion.gt_instances = gt_instances
    if gt_instances == 'union':  # the ablation's union setting
        cfg.decode_head.criterion.loss_mask = None
        cfg.decode_head.test_cfg = dict(inference='threshold')
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.train()


def _data(model, batch):
    """A batch through the data preprocessor (training)."""
    return model.data_preprocessor(copy.deepcopy(batch), True)


def _explain(model, batch):
    """``torch._dynamo.explain`` of the training forward on a batch."""
    data = _data(model, batch)
    return torch._dynamo.explain(model.loss_from_tensors)(
        data['inputs'], *TransAVS.gt_tensors(data['data_samples']))


def _two_sounding_regions(batch):
    """The batch with a first frame of two separate sounding regions (three instances with
    ``gt_instances='components'``: the background and two components)."""
    batch = copy.deepcopy(batch)
    gt = batch['data_samples'][0].gt_sem_seg.data
    gt[0] = 0
    gt[0, 2:12, 2:12] = 1
    gt[0, 30:44, 30:44] = 1
    return batch


def _step(model, data, seed=1):
    """Losses and gradients of one training step (the matcher draws random points: seeded)."""
    torch.manual_seed(seed)
    losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    model.zero_grad()
    total.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return {k: v.detach() for k, v in losses.items()}, grads


@pytest.mark.parametrize('gt_instances', ['semantic', 'union'])
def test_training_forward_has_no_graph_break(tiny_cfg, gt_instances):
    """Features, head and criterion (targets, matching, eq. 13 losses) are one graph."""
    model = _model(tiny_cfg, gt_instances)
    assert model.loss_host_free
    explanation = _explain(model, _two_sounding_regions(make_batch(1, 5, (64, 64), 'cpu')))
    assert explanation.graph_break_count == 0, [r.reason for r in explanation.break_reasons]
    assert explanation.graph_count == 1


def test_components_break_only_at_the_host_steps(tiny_cfg):
    """'components' targets: the graph breaks only where the host works (connected
    components, and Hungarian matching of frames with more than two instances)."""
    model = _model(tiny_cfg, 'components')
    assert not model.loss_host_free
    for batch, host_steps in ((make_batch(1, 5, (64, 64), 'cpu'), {'_host_frame_targets'}),
                              (_two_sounding_regions(make_batch(1, 5, (64, 64), 'cpu')),
                               {'_host_frame_targets', 'match_mixed'})):
        explanation = _explain(model, batch)
        reasons = [r.reason for r in explanation.break_reasons]
        assert explanation.graph_break_count > 0 and reasons
        assert all('torch.compiler.disable' in r for r in reasons), reasons
        assert {name for name in ('_host_frame_targets', 'match_mixed')
                if any(name in r for r in reasons)} == host_steps


def test_fullgraph_refused_where_the_host_is_needed(tiny_cfg):
    with pytest.raises(ValueError, match='needs a training step without host'):
        _model(tiny_cfg, 'components', compile=dict(fullgraph=True, backend='eager'))
    model = _model(tiny_cfg, 'components', compile=dict(backend='eager'))
    assert model.compile_options == dict(backend='eager', fullgraph=False)
    assert _model(tiny_cfg, 'semantic', compile=True).compile_options == dict(fullgraph=True)


def test_compiled_step_equals_eager(tiny_cfg):
    counter = CompileCounterWithBackend('aot_eager')  # AOT autograd: forward and backward
    eager = _model(tiny_cfg, 'semantic')
    compiled = _model(tiny_cfg, 'semantic', compile=dict(backend=counter))
    counter = compiled.compile_options['backend']  # the config system may copy it
    assert list(compiled.state_dict()) == list(eager.state_dict())  # keys unchanged
    compiled.load_state_dict(eager.state_dict())
    data = _data(eager, make_batch(1, 5, (64, 64), 'cpu'))
    for delta in (0.55, 0.6):  # eq. 18 moves the thresholds: no recompilation
        eager.set_confidence_thresholds(delta, delta)
        compiled.set_confidence_thresholds(delta, delta)
        losses_e, grads_e = _step(eager, data)
        losses_c, grads_c = _step(compiled, data)
        assert counter.frame_count == 1  # one graph, compiled once
        assert losses_c.keys() == losses_e.keys() and grads_c.keys() == grads_e.keys()
        for name, value in losses_e.items():
            torch.testing.assert_close(losses_c[name], value, rtol=1e-5, atol=1e-6)
        for name, grad in grads_e.items():
            torch.testing.assert_close(grads_c[name], grad, rtol=1e-4, atol=1e-6)


def test_compiled_thresholds_are_read_at_run_time(tiny_cfg):
    """The compiled loss reads delta1 / delta2 when it runs (a buffer, no recompilation)."""
    model = _model(tiny_cfg, 'semantic', compile=dict(backend=CompileCounter()))
    counter = model.compile_options['backend']
    data = _data(model, make_batch(1, 5, (64, 64), 'cpu'))
    num_queries = model.decode_head.num_queries
    sizes = []
    for delta in (0.0, 1.0, 0.0):  # every query's confidence lies in (0, 1)
        model.set_confidence_thresholds(delta, delta)
        losses = model.loss(data['inputs'], data['data_samples'])
        sizes.append((losses['aqdl_s1'].item(), losses['aqml_s2'].item()))
    assert sizes == [(num_queries, num_queries), (0, 0), (num_queries, num_queries)]
    assert counter.frame_count == 1
    assert 'decode_head.criterion.thresholds' not in model.state_dict()  # not in checkpoints


def test_copy_runs_its_own_weights(tiny_cfg):
    """A deep copy of a compiled model does not run the original's compiled function."""
    model = _model(tiny_cfg, 'semantic', compile=dict(backend='eager'))
    data = _data(model, make_batch(1, 5, (64, 64), 'cpu'))

    def loss_cls(m):
        torch.manual_seed(1)
        return m.loss(data['inputs'], data['data_samples'])['loss_cls'].detach()

    before = loss_cls(model)
    copied = copy.deepcopy(model)
    with torch.no_grad():
        copied.decode_head.cls_embed.bias[0] += 3.0  # another class prior
    assert not torch.allclose(loss_cls(copied), before)
    torch.testing.assert_close(loss_cls(model), before)
