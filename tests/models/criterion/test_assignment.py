"""The device assignment solver equals scipy's ``linear_sum_assignment`` (the solver of mmseg's
HungarianAssigner), traces into one graph, and the matcher uses it where a compiled step needs
it."""
import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment

from projects.transavs.models.criterion import FrameTargets, QueryMatcher
from projects.transavs.models.criterion.assignment import batched_linear_assignment

COSTS = [
    dict(type='ClassificationCost', weight=2.0),
    dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
    dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)
]


def _optimal_total(cost: torch.Tensor) -> float:
    rows, cols = linear_sum_assignment(cost.numpy())
    return float(cost.numpy()[rows, cols].sum())


@pytest.mark.parametrize('queries,slots', [(1, 1), (2, 2), (3, 3), (7, 4), (16, 8), (300, 6)])
def test_equals_scipy_optimum(queries, slots):
    g = torch.Generator().manual_seed(queries * 31 + slots)
    cost = torch.randn(40, queries, slots, generator=g)
    cost[:10] = torch.randint(0, 3, (10, queries, slots), generator=g).float()  # many ties
    cost[10:15, :, -1] = 0.0  # a padded slot: the same cost for every query
    got = batched_linear_assignment(cost)
    assert got.shape == (40, slots) and got.dtype == torch.long
    for f in range(cost.shape[0]):
        assert len(set(got[f].tolist())) == slots, got[f]  # distinct queries
        total = float(cost[f][got[f], torch.arange(slots)].sum())
        assert total == pytest.approx(_optimal_total(cost[f]), abs=1e-4), f


def test_without_ties_equals_scipy_assignment():
    g = torch.Generator().manual_seed(3)
    cost = torch.rand(25, 9, 5, generator=g)
    got = batched_linear_assignment(cost)
    for f in range(25):
        rows, cols = linear_sum_assignment(cost[f].numpy())
        expected = np.empty(5, dtype=np.int64)
        expected[cols] = rows
        assert got[f].tolist() == expected.tolist()


def test_needs_as_many_queries_as_slots():
    with pytest.raises(ValueError, match='at least as many queries as slots'):
        batched_linear_assignment(torch.rand(2, 3, 4))


def test_traces_as_one_graph():
    g = torch.Generator().manual_seed(5)
    cost = torch.rand(6, 10, 5, generator=g)
    compiled = torch.compile(batched_linear_assignment, backend='eager', fullgraph=True)
    assert torch.equal(compiled(cost), batched_linear_assignment(cost))


def _frames(frames=10, queries=9, slots=6, points=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    cls = torch.randn(frames, queries, 3, generator=g) * 2
    masks = torch.randn(frames, queries, 8, 8, generator=g) * 3
    gt = torch.rand(frames, slots, 8, 8, generator=g) > 0.5
    counts = torch.randint(1, slots + 1, (frames, ), generator=g)
    valid = torch.arange(slots)[None] < counts[:, None]  # slots packed from the first
    labels = torch.ones(frames, slots, dtype=torch.long)
    labels[:, 0] = 0
    return cls, masks, FrameTargets(labels, gt & valid[..., None, None], valid)


def test_matcher_on_device_equals_host_matching():
    """match_on_device (compiled steps) and match_mixed (eager: scipy for frames with more
    than two instances) give the same assignment on the same sampled points."""
    matcher = QueryMatcher(dict(type='HungarianAssigner', match_costs=COSTS), num_points=40)
    cls, masks, targets = _frames()
    torch.manual_seed(0)
    host_idx, host_matched = matcher(cls, masks, targets)  # eager: the mixed path
    from mmcv.ops import point_sample
    torch.manual_seed(0)
    coords = torch.rand(cls.shape[0], 40, 2)
    point_logits = point_sample(masks.float(), coords)
    point_targets = point_sample(targets.masks.float(), coords)
    dev_idx, dev_matched = matcher.match_on_device(cls, point_logits, targets, point_targets)
    assert torch.equal(dev_matched, host_matched)
    assert torch.equal(dev_idx[dev_matched], host_idx[host_matched])


def test_compiled_matcher_takes_the_device_path():
    """Traced with fullgraph=True, frames with more than two slots are matched without a
    graph break, to the same queries as eagerly."""
    matcher = QueryMatcher(dict(type='HungarianAssigner', match_costs=COSTS), num_points=40)
    cls, masks, targets = _frames(seed=2)
    compiled = torch.compile(lambda c, m, t: matcher(c, m, t), backend='eager', fullgraph=True)
    torch.manual_seed(0)
    eager_idx, eager_matched = matcher(cls, masks, targets)
    torch.manual_seed(0)
    idx, matched = compiled(cls, masks, targets)
    assert torch.equal(matched, eager_matched)
    assert torch.equal(idx[matched], eager_idx[eager_matched])


def test_device_matching_needs_enough_queries():
    matcher = QueryMatcher(dict(type='HungarianAssigner', match_costs=COSTS), num_points=40)
    cls, masks, targets = _frames(queries=4, slots=6)
    with pytest.raises(ValueError, match='lower ClipInstanceTargets.max_instances'):
        matcher.match_on_device(cls, masks.flatten(2), targets, targets.masks.flatten(2).float())


@pytest.mark.parametrize('slots', [2, 6])
def test_all_layers_solved_at_once_equal_layer_by_layer(slots):
    """match_layers: compiled, the stacked costs of every layer go through one solver; the
    assignments equal the eager layer-by-layer matching on the same points."""
    matcher = QueryMatcher(dict(type='HungarianAssigner', match_costs=COSTS), num_points=40)
    layers = [_frames(slots=slots, seed=seed) for seed in range(3)]
    targets = layers[0][2]
    cls_layers, mask_layers = [c for c, _, _ in layers], [m for _, m, _ in layers]
    coords = matcher.draw_points(3, targets.labels.shape[0], 'cpu')
    eager = matcher.match_layers(cls_layers, mask_layers, targets, coords)
    compiled = torch.compile(matcher.match_layers, backend='eager', fullgraph=True)(
        cls_layers, mask_layers, targets, coords)
    assert len(eager) == len(compiled) == 3
    for (e_idx, e_ok), (c_idx, c_ok) in zip(eager, compiled):
        assert torch.equal(e_ok, c_ok)
        assert torch.equal(e_idx[e_ok], c_idx[c_ok])
