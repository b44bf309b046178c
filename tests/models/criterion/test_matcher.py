"""Matching: batched costs equal mmseg's match costs; the batched exact matcher equals
mmseg's HungarianAssigner on frames with one and two instances."""
import itertools

import pytest
import torch
from mmengine.structures import InstanceData
from mmseg.registry import TASK_UTILS

from projects.transavs.models.criterion import (
    FrameTargets,
    QueryMatcher,
    match_cost_matrix,
    match_two_slots,
)

COSTS = [
    dict(type='ClassificationCost', weight=2.0),
    dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
    dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)
]
ASSIGNER = dict(type='HungarianAssigner', match_costs=COSTS)


def _random_frames(frames=12, queries=7, points=50, slots=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    cls = torch.randn(frames, queries, 3, generator=g) * 2
    point_logits = torch.randn(frames, queries, points, generator=g) * 3
    point_targets = (torch.rand(frames, slots, points, generator=g) > 0.6).float()
    labels = torch.arange(slots).remainder(2).expand(frames, slots).clone()
    return cls, point_logits, labels, point_targets


def test_cost_matrix_equals_mmseg_match_costs():
    cls, point_logits, labels, point_targets = _random_frames(slots=3)
    labels = torch.tensor([0, 1, 1]).expand(12, 3)
    ours = match_cost_matrix(cls, point_logits, labels, point_targets, COSTS)
    costs = [TASK_UTILS.build(c) for c in COSTS]
    for f in range(cls.shape[0]):
        pred = InstanceData(scores=cls[f], masks=point_logits[f])
        gt = InstanceData(labels=labels[f], masks=point_targets[f])
        reference = sum(cost(pred, gt) for cost in costs)
        torch.testing.assert_close(ours[f], reference, rtol=1e-5, atol=1e-5)


def test_match_two_slots_is_the_optimal_pair():
    g = torch.Generator().manual_seed(1)
    cost = torch.rand(300, 5, 2, generator=g)
    # Force many frames to share the argmin of both columns (the hard case).
    cost[::2, 3] -= 1.0
    valid = torch.ones(300, 2, dtype=torch.bool)
    got = match_two_slots(cost, valid)
    for f in range(cost.shape[0]):
        best = min(itertools.permutations(range(5), 2),
                   key=lambda p: cost[f, p[0], 0] + cost[f, p[1], 1])
        assert tuple(got[f].tolist()) == best, f
    # One slot absent: the other takes its argmin.
    valid[:, 1] = False
    assert torch.equal(match_two_slots(cost, valid)[:, 0], cost[..., 0].argmin(1))
    with pytest.raises(ValueError, match='at most 2 slots'):
        match_two_slots(torch.rand(2, 5, 3), torch.ones(2, 3, dtype=torch.bool))


@pytest.mark.parametrize('slots', [1, 2])
def test_batched_matcher_equals_hungarian_assigner(slots):
    """Frames with one or two instances (and frames with some or no slot valid): the
    batched path (``__call__``'s) and mmseg's assigner frame by frame agree."""
    cls, point_logits, labels, point_targets = _random_frames(slots=slots, seed=slots)
    valid = torch.ones(12, slots, dtype=torch.bool)
    valid[3] = False  # e.g. an unannotated frame
    if slots == 2:
        valid[5, 0] = False  # all sounding: no background instance
        valid[7, 1] = False  # silent: background only
    targets = FrameTargets(labels, torch.zeros(12, slots, 1, 1, dtype=torch.bool), valid)
    matcher = QueryMatcher(ASSIGNER, num_points=50)
    cost = match_cost_matrix(cls, point_logits, labels, point_targets, matcher.match_costs)
    batched = match_two_slots(cost, valid)
    per_frame, matched = matcher.assign_per_frame(cls, point_logits, targets, point_targets)
    assert torch.equal(matched, valid)
    assert torch.equal(batched[valid], per_frame[valid])


def test_matcher_paths_and_unmatched_instances(monkeypatch):
    torch.manual_seed(0)
    matcher = QueryMatcher(ASSIGNER, num_points=40)
    cls = torch.randn(2, 2, 3)
    masks = torch.randn(2, 2, 8, 8)
    two = FrameTargets(torch.tensor([[0, 1], [0, 1]]), torch.rand(2, 2, 16, 16) > 0.5,
                       torch.tensor([[True, True], [False, True]]))
    # Up to two slots never call the assigner (batched, no host synchronisation).
    monkeypatch.setattr(matcher.assigner, 'assign', lambda *a, **k: 1 / 0)
    query_idx, matched = matcher(cls, masks, two)
    assert torch.equal(matched, two.valid) and query_idx[0, 0] != query_idx[0, 1]
    monkeypatch.undo()
    # Three instances for two queries: the assigner, and one instance stays unmatched.
    three = FrameTargets(torch.tensor([[0, 1, 1], [0, 1, 1]]), torch.rand(2, 3, 16, 16) > 0.5,
                         torch.tensor([[True, True, True], [True, False, False]]))
    query_idx, matched = matcher(cls, masks, three)
    assert matched.sum(1).tolist() == [2, 1]
    assert set(query_idx[0][matched[0]].tolist()) == {0, 1}


def test_mixed_batch_equals_the_assigner_frame_by_frame(monkeypatch):
    """Frames with three instances beside frames with at most two: the latter are matched
    batched, only the former go through the assigner, and every frame's assignment equals
    the assigner's on the same sampled points."""
    from mmcv.ops import point_sample
    torch.manual_seed(0)
    matcher = QueryMatcher(ASSIGNER, num_points=60)
    cls, masks = torch.randn(6, 5, 3) * 2, torch.randn(6, 5, 8, 8) * 3
    valid = torch.tensor([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0], [1, 1, 1],
                          [0, 1, 0]]).bool()
    targets = FrameTargets(torch.tensor([0, 1, 1]).expand(6, 3).clone(),
                           torch.rand(6, 3, 16, 16) > 0.5, valid)
    calls = []
    assign = matcher.assigner.assign
    monkeypatch.setattr(matcher.assigner, 'assign',
                        lambda pred, gt: calls.append(len(gt)) or assign(pred, gt))
    torch.manual_seed(1)
    query_idx, matched = matcher(cls, masks, targets)
    assert calls == [3, 3]  # frames 0 and 4 only
    torch.manual_seed(1)
    coords = torch.rand(6, 60, 2)  # the draw __call__ made
    want_idx, want_matched = matcher.assign_per_frame(
        cls, point_sample(masks, coords), targets, point_sample(targets.masks.float(), coords))
    assert torch.equal(matched, valid) and torch.equal(want_matched, valid)
    assert torch.equal(query_idx[valid], want_idx[valid])
