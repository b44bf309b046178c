"""The training forward compiles (``torch.compile``) without graph breaks for every target mode
(``'components'`` with the data pipeline's instance maps), breaks only at the host steps
without them, and the compiled step computes what the eager one computes (CPU, with the cheap
``aot_eager`` backend: the inductor takes about two minutes to compile the tiny model on two
cores)."""
import copy
import os.path as osp

import pytest
import torch
from instance_batches import two_sounding_regions, with_instances
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
    instances = model.instance_tensors(data['data_samples']) or ()
    return torch._dynamo.explain(model.loss_from_tensors)(
        data['inputs'], *TransAVS.gt_tensors(data['data_samples']), *instances)



def _step(model, data, seed=1):
    """Losses and gradients of one training step (the matcher draws random points: seeded)."""
    torch.manual_seed(seed)
    losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    model.zero_grad()
    total.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return {k: v.detach() for k, v in losses.items()}, grads


@pytest.mark.parametrize('gt_instances', ['union', 'components'])
def test_training_forward_has_no_graph_break(tiny_cfg, gt_instances):
    """Features, head and criterion (targets, matching, eq. 13 losses) are one graph; for
    'components' with the pipeline's instance maps (8 slots, as the configs), also with a
    frame of three instances (matched on the device). 'semantic' compiles with
    fullgraph=True in test_compiled_step_equals_eager, which a graph break would stop."""
    model = _model(tiny_cfg, gt_instances)
    assert model.loss_host_free
    batch = two_sounding_regions(make_batch(1, 5, (64, 64), 'cpu'))
    if gt_instances == 'components':
        batch = with_instances(batch)
        labels = batch['data_samples'][0].gt_instance_labels
        assert labels[0].tolist()[:4] == [0, 1, 1, -1]  # background and two components
    explanation = _explain(model, batch)
    assert explanation.graph_break_count == 0, [r.reason for r in explanation.break_reasons]
    assert explanation.graph_count == 1


def test_components_without_instance_maps_break_only_at_the_host_steps(tiny_cfg):
    """'components' targets without ClipInstanceTargets: the graph breaks only where the host
    labels the connected components; a frame with more than two instances is still matched on
    the device (not by scipy's assigner, match_mixed)."""
    model = _model(tiny_cfg, 'components')
    for batch in (make_batch(1, 5, (64, 64), 'cpu'),
                  two_sounding_regions(make_batch(1, 5, (64, 64), 'cpu'))):
        explanation = _explain(model, batch)
        reasons = [r.reason for r in explanation.break_reasons]
        assert explanation.graph_break_count > 0 and reasons
        assert all('torch.compiler.disable' in r for r in reasons), reasons
        assert {name for name in ('_host_frame_targets', 'match_mixed')
                if any(name in r for r in reasons)} == {'_host_frame_targets'}


def test_fullgraph_needs_the_instance_maps_or_two_queries(tiny_cfg):
    model = _model(tiny_cfg, 'components', compile=dict(backend='eager'))
    assert model.compile_options == dict(backend='eager', fullgraph=True)
    data = _data(model, make_batch(1, 5, (64, 64), 'cpu'))
    with pytest.raises(ValueError, match="add dict\\(type='ClipInstanceTargets', "
                       "mode='components', num_classes=2\\)"):
        model.loss(data['inputs'], data['data_samples'])
    # fullgraph=False: the host steps run eagerly between graphs
    relaxed = _model(tiny_cfg, 'components', compile=dict(backend='eager', fullgraph=False))
    assert 'loss_cls' in relaxed.loss(data['inputs'], data['data_samples'])
    with pytest.raises(ValueError, match='needs at least two queries'):
        _model(tiny_cfg, 'semantic', compile=dict(fullgraph=True, backend='eager'),
               decode_head=dict(tiny_cfg.decode_head, num_queries=1))
    assert _model(tiny_cfg, 'semantic', compile=True).compile_options == dict(fullgraph=True)


def test_instance_maps_for_other_targets_are_ignored(tiny_cfg):
    """Maps made for 'semantic' do not feed a 'components' criterion (warned; the criterion
    labels its own), and a binary 'semantic' criterion never needs them."""
    data_batch = with_instances(make_batch(1, 5, (64, 64), 'cpu'), mode='semantic')
    model = _model(tiny_cfg, 'components')
    data = _data(model, data_batch)
    with pytest.warns(UserWarning, match=r"made instances for \(mode, num_classes\) "
                      r"\[\('semantic', 2\)\], the criterion wants \('components', 2\)"):
        assert model.instance_tensors(data['data_samples']) is None
    assert _model(tiny_cfg, 'semantic').instance_tensors(data['data_samples']) is None
    mixed = [data['data_samples'][0], make_batch(1, 5, (64, 64), 'cpu')['data_samples'][0]]
    with pytest.raises(ValueError, match='1 of 2 clips carry gt_instance_map'):
        model.instance_tensors(mixed)


def test_instance_maps_give_the_host_targets_losses(tiny_cfg):
    """Eagerly, the loss from the pipeline's instance maps equals the loss from the targets the
    criterion labels on the host (same instances; eagerly trimmed to as many slots, so the
    same random points)."""
    model = _model(tiny_cfg, 'components')
    plain = two_sounding_regions(make_batch(2, 5, (64, 64), 'cpu'))
    with_maps = with_instances(plain)
    losses = []
    for batch in (plain, with_maps):
        data = _data(model, batch)
        torch.manual_seed(3)
        losses.append(model.loss(data['inputs'], data['data_samples']))
    assert losses[0].keys() == losses[1].keys()
    for name, value in losses[0].items():
        torch.testing.assert_close(losses[1][name], value, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('gt_instances', ['semantic', 'components'])
def test_compiled_step_equals_eager(tiny_cfg, gt_instances):
    """'components': the compiled step matches the frame of three instances on the device,
    the eager one with scipy; the same losses and gradients."""
    counter = CompileCounterWithBackend('aot_eager')  # AOT autograd: forward and backward
    eager = _model(tiny_cfg, gt_instances)
    compiled = _model(tiny_cfg, gt_instances, compile=dict(backend=counter))
    counter = compiled.compile_options['backend']  # the config system may copy it
    assert list(compiled.state_dict()) == list(eager.state_dict())  # keys unchanged
    compiled.load_state_dict(eager.state_dict())
    batch = make_batch(1, 5, (64, 64), 'cpu')
    if gt_instances == 'components':
        # 3 slots, all used by the first frame: the eager step keeps them all (it trims the
        # unused ones), so both draw the same random points
        batch = with_instances(two_sounding_regions(batch), max_instances=3)
    data = _data(eager, batch)
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
            torch.testing.assert_close(grads_c[name], grad, rtol=1e-4, atol=1e-5)


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


def _explain_in_group(rank, init_file, repo_root, queue):
    """One process of a 2-process gloo group: the graphs of the 'components' training forward,
    whose criterion averages its instance count with torch.distributed.all_reduce."""
    import torch.distributed as dist
    from mmengine.registry import init_default_scope

    import projects.transavs  # noqa: F401  (registers everything in the new process)
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    try:
        init_default_scope('mmseg')
        cfg = Config.fromfile(osp.join(repo_root, 'configs/_base_/models/transavs_tiny.py'))
        model = _model(cfg.model, 'components')
        explanation = _explain(model, with_instances(make_batch(1, 5, (64, 64), 'cpu',
                                                                seed=rank)))
        queue.put((rank, explanation.graph_count, explanation.graph_break_count))
    finally:
        dist.destroy_process_group()


def test_no_graph_break_in_a_process_group(repo_root, tmp_path):
    """The collective is traced into the graph (a functional all_reduce), not broken at."""
    context = torch.multiprocessing.get_context('spawn')
    queue = context.SimpleQueue()
    torch.multiprocessing.spawn(_explain_in_group, nprocs=2,
                                args=(str(tmp_path / 'pg'), repo_root, queue))
    assert sorted(queue.get() for _ in range(2)) == [(0, 1, 0), (1, 1, 0)]
