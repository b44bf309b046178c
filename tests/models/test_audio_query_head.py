"""AudioQueryHead: eq. 4 scale order, query modes, losses, inference of eq. 14-15."""
import math

import pytest
import torch
from mmseg.registry import MODELS


def _head(**kwargs):
    cfg = dict(type='AudioQueryHead', in_channels=16, embed_dims=16, num_queries=6,
               num_frames=5, num_encoder_layers=1, num_decoder_layers=4, num_heads=2,
               feedforward_channels=32, train_cfg=dict(num_points=64))
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def _inputs(clips=2, frames=5, size=32):
    feats = [torch.randn(clips * frames, 16, size // s, size // s) for s in (8, 4, 2)]
    return feats, feats[-1], torch.randn(clips, frames, 128), (size, size)


def test_round_robin_scale_order_eq4():
    head = _head()
    seen = []
    for layer in head.layers:
        layer.register_forward_hook(lambda m, args, out: seen.append(args[1].shape[1]))
    feats, mask_feat, audio, shape = _inputs()
    head(feats, mask_feat, audio, shape)
    tokens = [f.shape[-1] * f.shape[-2] for f in feats]  # f^1, f^2, f^3
    # l = 1..4 -> i = (l mod 3) + 1 = 2, 3, 1, 2
    assert seen == [tokens[1], tokens[2], tokens[0], tokens[1]]


def test_outputs_and_aux_strides():
    head = _head(aux_mask_stride=8)
    feats, mask_feat, audio, shape = _inputs()
    outs = head(feats, mask_feat, audio, shape, with_aux=True)
    assert len(outs['cls_logits']) == 4 and len(outs['mask_logits']) == 4
    assert outs['cls_logits'][-1].shape == (10, 6, 2)
    assert outs['mask_logits'][0].shape == (10, 6, 4, 4)  # stride 8
    assert outs['mask_logits'][-1].shape == (10, 6, 16, 16)  # mask features, stride 2
    assert outs['query_embed'].shape == (10, 6, 16)
    # The focal prior: p(sounding) starts at 0.01 for every query.
    p = outs['cls_logits'][0].softmax(-1)[..., 0]
    torch.testing.assert_close(p.mean(), torch.tensor(0.01), atol=0.02, rtol=0)


def test_clip_queries_shared_by_frames_and_frame_mode():
    feats, mask_feat, audio, shape = _inputs()
    clip_head = _head(query_mode='clip')
    q = clip_head.build_queries(audio)
    assert q.shape == (10, 6, 16)
    assert torch.equal(q[0], q[4]) and not torch.equal(q[0], q[5])  # clip 0 vs clip 1
    frame_head = _head(query_mode='frame')
    q = frame_head.build_queries(audio)
    assert q.shape == (10, 6, 16) and not torch.equal(q[0], q[1])
    assert frame_head.query_encoder.mix.in_features == 1
    with pytest.raises(ValueError, match="'clip' or 'frame'"):
        _head(query_mode='video')


def test_loss_ignores_unannotated_frames():
    torch.manual_seed(0)
    head = _head()
    feats, mask_feat, audio, shape = _inputs(clips=1)
    gt = torch.zeros(5, 32, 32, dtype=torch.uint8)
    gt[0, 4:20, 4:20] = 1
    valid = torch.tensor([True, False, False, False, False])
    torch.manual_seed(1)
    losses = head.loss(feats, mask_feat, audio, gt, valid)
    assert set(losses) == {'d0.loss_cls', 'd0.loss_dice', 'd1.loss_cls', 'd1.loss_dice',
                           'd2.loss_cls', 'd2.loss_dice', 'loss_cls', 'loss_dice',
                           'loss_aqdl', 'loss_aqml'}
    assert all(torch.isfinite(v) for v in losses.values())
    gt_other = gt.clone()
    gt_other[1:, :, :] = 1  # labels of unannotated frames must not matter
    torch.manual_seed(1)
    losses_other = head.loss(feats, mask_feat, audio, gt_other, valid)
    for key in ('loss_cls', 'loss_dice'):
        torch.testing.assert_close(losses[key], losses_other[key])


def test_empty_annotated_frame_has_no_instance():
    head = _head(deep_supervision=False)
    feats, mask_feat, audio, shape = _inputs(clips=1)
    gt = torch.zeros(5, 32, 32, dtype=torch.uint8)
    losses = head.loss(feats, mask_feat, audio, gt, torch.ones(5, dtype=torch.bool))
    # No instance: dice is 0, and the class loss pushes every query to "not sounding".
    assert losses['loss_dice'].item() == 0
    assert losses['loss_cls'].item() > 0
    losses['loss_cls'].backward()
    assert head.cls_embed.weight.grad.abs().sum() > 0


def test_inference_eq14_eq15_hand_built():
    head = _head()
    p_sound = torch.tensor([0.9, 0.2, 0.6])  # q0, q2 sounding; q1 not (p = 0.8)
    cls_logits = torch.stack([p_sound.log(), (1 - p_sound).log()], -1)[None]  # [1, 3, 2]
    m = torch.tensor([[[0.9, 0.1], [0.5, 0.2]],
                      [[0.5, 0.9], [0.8, 0.1]],
                      [[0.2, 0.2], [0.9, 0.1]]])
    mask_logits = torch.log(m / (1 - m))[None]  # [1, 3, 2, 2]
    # scores p_i(c_i) m_i: q0 0.9 m0, q1 0.8 m1, q2 0.6 m2.
    # Default: "not sounding" queries are filtered out (MaskFormer); the probability is
    # the best sounding score.
    prob = head.predict_by_feat(cls_logits, mask_logits, (2, 2))[0]
    expected = torch.tensor([[0.81, 0.12], [0.54, 0.18]])
    torch.testing.assert_close(prob, expected, rtol=1e-5, atol=1e-6)
    assert torch.equal(prob > 0.5, torch.tensor([[True, False], [True, False]]))
    # Literal competition of every query: sounding where the winner is a sounding query.
    head.test_cfg['competition'] = 'all'
    prob = head.predict_by_feat(cls_logits, mask_logits, (2, 2))[0]
    expected = torch.tensor([[0.81 / (0.81 + 0.40), 0.12 / (0.12 + 0.72)],
                             [0.54 / (0.54 + 0.64), 0.18 / (0.18 + 0.08)]])
    torch.testing.assert_close(prob, expected, rtol=1e-5, atol=1e-6)
    assert torch.equal(prob > 0.5, torch.tensor([[True, False], [False, True]]))
    head.test_cfg['competition'] = 'best'
    with pytest.raises(ValueError, match='competition'):
        head.predict_by_feat(cls_logits, mask_logits, (2, 2))


def test_inference_upsamples_and_chunks():
    head = _head(test_cfg=dict(frame_chunk=3))
    feats, mask_feat, audio, shape = _inputs()
    prob = head.predict(feats, mask_feat, audio, shape)
    assert prob.shape == (10, 32, 32)
    assert prob.min() >= 0 and prob.max() <= 1
    head.test_cfg['frame_chunk'] = 100
    torch.testing.assert_close(head.predict(feats, mask_feat, audio, shape), prob)


def test_cls_prior():
    head = _head(cls_prior_prob=0.05)
    bias = head.cls_embed.bias
    assert math.isclose(torch.softmax(bias, 0)[0].item(), 0.05, rel_tol=1e-5)


def test_more_frames_than_seconds():
    feats, mask_feat, audio, shape = _inputs(clips=1, frames=5)
    feats12 = [torch.cat([f, f[:2]]) for f in feats]  # 7 frames, 5 seconds
    seconds = torch.tensor([[0, 0, 1, 2, 3, 4, 4]])
    clip_head = _head()
    prob = clip_head.predict(feats12, feats12[-1], audio, shape)  # shared clip queries
    assert prob.shape == (7, 32, 32)
    frame_head = _head(query_mode='frame')
    q = frame_head.build_queries(audio, 7, seconds)
    assert torch.equal(q[0], q[1]) and torch.equal(q[5], q[6]) and not torch.equal(q[1], q[2])
    with pytest.raises(ValueError, match='frame_seconds'):
        frame_head.predict(feats12, feats12[-1], audio, shape)
    assert frame_head.predict(feats12, feats12[-1], audio, shape, seconds).shape == (7, 32, 32)


def test_batched_matching_equals_mmseg_matcher():
    """With an instance in every annotated frame, both paths draw the same random points
    and must give the same losses (and the same matched queries)."""
    head = _head()
    feats, mask_feat, audio, shape = _inputs()
    gt = torch.zeros(10, 32, 32, dtype=torch.uint8)
    for f in range(10):
        gt[f, f:f + 12, 3 + f:20 + f] = 1
    valid = torch.ones(10, dtype=torch.bool)
    with torch.no_grad():
        outs = head(feats, mask_feat, audio, shape, with_aux=True)
    results = []
    for batched in (True, False):
        head.train_cfg['batched_matching'] = batched
        torch.manual_seed(7)
        results.append(head.loss_by_feat(outs, gt, valid))
    assert results[0].keys() == results[1].keys()
    for key in results[0]:
        torch.testing.assert_close(results[0][key], results[1][key], rtol=1e-5, atol=1e-6,
                                   msg=key)


def test_batched_matching_handles_silent_and_unannotated_frames():
    head = _head(deep_supervision=False)
    feats, mask_feat, audio, shape = _inputs(clips=1)
    gt = torch.zeros(5, 32, 32, dtype=torch.uint8)
    gt[0, 4:20, 4:20] = 1
    gt[3, 2:9, 2:9] = 1  # frame 3 is not annotated: its mask must not matter
    valid = torch.tensor([True, True, False, False, True])  # frames 1 and 4: silent
    with torch.no_grad():
        outs = head(feats, mask_feat, audio, shape)
    for batched in (True, False):
        head.train_cfg['batched_matching'] = batched
        torch.manual_seed(3)
        losses = head.loss_by_feat(outs, gt, valid)
        assert torch.isfinite(losses['loss_cls']) and losses['loss_dice'] > 0
    head.train_cfg['batched_matching'] = True
    torch.manual_seed(3)
    a = head.loss_by_feat(outs, gt, valid)
    gt[3] = 0
    torch.manual_seed(3)
    b = head.loss_by_feat(outs, gt, valid)
    for key in ('loss_cls', 'loss_dice'):
        torch.testing.assert_close(a[key], b[key])
