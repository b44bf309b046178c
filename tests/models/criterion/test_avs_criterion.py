"""AVSCriterion: class targets, supervised losses, AQDL/AQML acting on confident queries."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from projects.transavs.models.criterion import class_targets, query_confidence

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
PAPER_MODEL = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/transavs_r50.py')).model


def _criterion(**kwargs):
    """The paper config's criterion (on 64 points), with ``kwargs`` replacing its settings."""
    cfg = dict(PAPER_MODEL.decode_head.criterion.to_dict(), num_classes=2,
               train_cfg=dict(PAPER_MODEL.train_cfg.to_dict(), num_points=64))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _logits(probs):
    """Class logits whose softmax is ``probs`` (``[..., K + 1]``)."""
    return torch.tensor(probs).log()


def test_class_targets_matched_queries_and_no_object():
    query_idx = torch.tensor([[2, 0], [1, 1], [3, 2]])
    matched = torch.tensor([[True, True], [False, True], [False, False]])
    labels = torch.tensor([[0, 1], [0, 1], [0, 1]])
    got = class_targets(query_idx, matched, labels, num_queries=4, no_object=2)
    # Frame 1: the absent slot 0 points at the query slot 1 matched; the instance wins.
    assert got.tolist() == [[1, 2, 0, 2], [2, 1, 2, 2], [2, 2, 2, 2]]


def test_query_confidence_modes():
    cls = _logits([[[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.05, 0.9, 0.05]]])  # [1, 3, K + 1]
    torch.testing.assert_close(query_confidence(cls, 2, 'max_class'),
                               torch.tensor([[0.7, 0.3, 0.9]]))
    torch.testing.assert_close(query_confidence(cls, 2, 'foreground'),
                               torch.tensor([[0.2, 0.3, 0.9]]))
    cls4 = _logits([[[0.1, 0.3, 0.4, 0.2]]])  # K = 3: two sounding classes
    torch.testing.assert_close(query_confidence(cls4, 3, 'foreground'), torch.tensor([[0.7]]))
    # 'sounding': the best real class's probability, only when that class is not background
    # (query 0's best is background: 0, not 0.7; query 1's best real class is sounding: 0.3)
    torch.testing.assert_close(query_confidence(cls, 2, 'sounding'),
                               torch.tensor([[0.0, 0.3, 0.9]]))
    cls5 = _logits([[[0.1, 0.3, 0.4, 0.2], [0.5, 0.2, 0.2, 0.1]]])  # AVSS-like: K = 3
    torch.testing.assert_close(query_confidence(cls5, 3, 'sounding'), torch.tensor([[0.4, 0.0]]))
    with pytest.raises(ValueError, match='confidence'):
        query_confidence(cls, 2, 'mean')


def _outs(frames=2, queries=4, size=16, seed=0, layers=2):
    g = torch.Generator().manual_seed(seed)
    return dict(
        cls_logits=[torch.randn(frames, queries, 3, generator=g, requires_grad=True)
                    for _ in range(layers)],
        mask_logits=[torch.randn(frames, queries, size // 2, size // 2, generator=g,
                                 requires_grad=True) for _ in range(layers)],
        aqdl_embed=torch.randn(frames, queries, 8, generator=g, requires_grad=True))


def _gt(frames=2, size=16):
    gt = torch.zeros(frames, size, size, dtype=torch.uint8)
    gt[:, 4:12, 2:10] = 1
    return gt


def test_loss_terms_and_unannotated_frames():
    criterion = _criterion()
    outs, gt = _outs(), _gt()
    valid = torch.tensor([True, False])
    torch.manual_seed(3)
    losses = criterion(outs, gt, valid)
    assert set(losses) == {'d0.loss_cls', 'd0.loss_mask', 'd0.loss_dice', 'loss_cls',
                           'loss_mask', 'loss_dice', 'loss_aqdl', 'loss_aqml', 'aqdl_s1',
                           'aqml_s2'}
    assert all(torch.isfinite(v) for v in losses.values())
    assert all(losses[k] > 0 for k in ('loss_cls', 'loss_mask', 'loss_dice'))
    other = gt.clone()
    other[1] = 1 - other[1]  # the unannotated frame's mask must not matter
    torch.manual_seed(3)
    again = criterion(outs, other, valid)
    for key in ('loss_cls', 'loss_mask', 'loss_dice', 'd0.loss_cls'):
        torch.testing.assert_close(losses[key], again[key], msg=key)
    # Without the cross-entropy mask term there is no loss_mask.
    assert 'loss_mask' not in _criterion(loss_mask=None)(outs, gt, valid)


def test_silent_frame_supervises_the_background_query():
    """A silent annotated frame has a background instance: its matched mask is pushed to 1
    everywhere (dice and cross-entropy act); with union targets nothing is matched."""
    outs = _outs(frames=1, layers=1)
    gt = torch.zeros(1, 16, 16, dtype=torch.uint8)
    valid = torch.tensor([True])
    losses = _criterion(loss_aqdl=None, loss_aqml=None)(outs, gt, valid)
    assert losses['loss_dice'] > 0 and losses['loss_mask'] > 0
    losses['loss_dice'].backward()
    assert outs['mask_logits'][0].grad.abs().sum() > 0
    union = _criterion(gt_instances='union', loss_aqdl=None, loss_aqml=None)(
        _outs(frames=1, layers=1), gt, valid)
    assert union['loss_dice'] == 0 and union['loss_mask'] == 0


def _two_confident_queries(confident_classes=(0, 1)):
    """One frame, 4 queries: queries 0 and 1 confident (classes ``confident_classes``), 2 and
    3 "no object"; masks of 0 and 1 overlap on the left half; h(q) of 0 and 1 nearly equal."""
    probs = torch.full((1, 4, 3), 0.05)
    probs[0, 2:, 2] = 0.9
    for q, c in enumerate(confident_classes):
        probs[0, q, c] = 0.9
    cls = (probs / probs.sum(-1, keepdim=True)).log()
    masks = torch.full((1, 4, 8, 8), -6.0)
    masks[0, 0, :, :5] = 6.0
    masks[0, 1, :, :4] = 6.0
    embed = torch.zeros(1, 4, 8)
    embed[0, :, 0] = 1.0
    embed[0, 1, 1] = 0.1  # 0 and 1: squared distance of the unit vectors ~ 0.01
    embed[0, 2, 2] = embed[0, 3, 3] = 5.0
    embed.requires_grad_()
    return dict(cls_logits=[cls], mask_logits=[masks.requires_grad_()], aqdl_embed=embed)


def test_aqdl_aqml_act_on_two_confident_queries():
    gt = torch.zeros(1, 16, 16, dtype=torch.uint8)
    gt[0, :, :8] = 1
    outs = _two_confident_queries()
    criterion = _criterion(confidence='max_class')
    criterion.set_thresholds(0.6, 0.6)
    losses = criterion(outs, gt, torch.tensor([True]))
    assert losses['aqdl_s1'] == 2 and losses['aqml_s2'] == 2
    assert losses['loss_aqdl'] > 0 and losses['loss_aqml'] > 0
    (losses['loss_aqdl'] + losses['loss_aqml']).backward()
    assert outs['aqdl_embed'].grad[0, :2].abs().sum() > 0  # the close pair is pushed apart
    assert outs['aqdl_embed'].grad[0, 2:].abs().sum() == 0  # unselected queries: no gradient
    # AQML pulls each mask down where the other one is on.
    assert outs['mask_logits'][0].grad[0, 1, :, :4].sum() > 0
    # 'foreground' sees one sounding query (the other is background): no pair, no loss.
    fg = _criterion(confidence='foreground')
    fg.set_thresholds(0.6, 0.6)
    losses = fg(_two_confident_queries(), gt, torch.tensor([True]))
    assert losses['aqdl_s1'] == 1 and losses['loss_aqdl'] == 0 and losses['loss_aqml'] == 0
    # Two confident sounding queries: 'foreground' selects both.
    losses = fg(_two_confident_queries((1, 1)), gt, torch.tensor([True]))
    assert losses['aqdl_s1'] == 2 and losses['loss_aqdl'] > 0 and losses['loss_aqml'] > 0
    # Thresholds above the confidences: nothing selected.
    criterion.set_thresholds(0.95, 0.95)
    losses = criterion(_two_confident_queries(), gt, torch.tensor([True]))
    assert losses['aqdl_s1'] == 0 and losses['loss_aqdl'] == 0 and losses['loss_aqml'] == 0


def test_self_supervised_losses_off_and_config_errors():
    losses = _criterion(loss_aqdl=None, loss_aqml=None)(_outs(), _gt(), torch.ones(2).bool())
    assert not any(k in losses for k in ('loss_aqdl', 'loss_aqml', 'aqdl_s1', 'aqml_s2'))
    with pytest.raises(ValueError, match='background class'):
        _criterion(num_classes=1)
    with pytest.raises(ValueError, match='gt_instances'):
        _criterion(gt_instances='instances')
    with pytest.raises(ValueError, match='binary'):
        _criterion(num_classes=5, gt_instances='union')
    with pytest.raises(ValueError, match='confidence'):
        _criterion(confidence='sound')
    with pytest.raises(KeyError, match='assigner'):
        _criterion(train_cfg=dict(num_points=64, oversample_ratio=3.0,
                                  importance_sample_ratio=0.75))
    with pytest.raises(TypeError, match='loss_cls'):
        MODELS.build(dict(type='AVSCriterion'))  # the config states the losses, not the code


def test_mismatched_inputs_are_refused():
    outs, gt = _outs(), _gt()
    with pytest.raises(ValueError, match='one flag per ground-truth frame'):
        _criterion()(outs, gt, torch.ones(1).bool())
    outs['mask_logits'] = outs['mask_logits'][:1]
    with pytest.raises(ValueError, match='layers of class logits'):
        _criterion()(outs, gt, torch.ones(2).bool())


def test_padded_frames_never_enter_aqdl_aqml():
    """A padded frame (AVSBench-semantic's v1 clips: mean-colour image, silent audio) with two
    collapsed confident queries changes neither loss nor the logged set sizes."""
    real = _two_confident_queries()
    padded = _two_confident_queries((1, 1))  # a pair 'sounding' selects too
    padded['aqdl_embed'] = padded['aqdl_embed'].detach().clone()
    padded['aqdl_embed'][0, 1] = padded['aqdl_embed'][0, 0]  # collapsed: the largest term
    both = {k: [torch.cat([a.detach(), b.detach()]) for a, b in zip(real[k], padded[k])]
            for k in ('cls_logits', 'mask_logits')}
    both['aqdl_embed'] = torch.cat([real['aqdl_embed'].detach(), padded['aqdl_embed']])
    gt = torch.zeros(2, 16, 16, dtype=torch.uint8)
    gt[:, :, :8] = 1
    valid = torch.tensor([True, False])
    for confidence in ('max_class', 'sounding'):
        criterion = _criterion(confidence=confidence)
        criterion.set_thresholds(0.6, 0.6)
        alone = criterion(real, gt[:1], valid[:1])
        kept = criterion(both, gt, valid, frame_padded=torch.tensor([False, True]))
        counted = criterion(both, gt, valid)
        for key in ('loss_aqdl', 'loss_aqml', 'aqdl_s1', 'aqml_s2'):
            torch.testing.assert_close(kept[key], alone[key], msg=f'{confidence} {key}')
        assert counted['loss_aqdl'] > kept['loss_aqdl'] * 10  # it would have counted
