"""AudioQueryHead: eq. 4 scale order, query modes, the criterion's losses, eq. 14-15."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAPER_MODEL = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/transavs_r50.py')).model


def _head(**kwargs):
    cfg = dict(type='AudioQueryHead', in_channels=16, embed_dims=16, num_queries=6,
               clip_seconds=5, num_encoder_layers=1, num_decoder_layers=4, num_heads=2,
               feedforward_channels=32, criterion=PAPER_MODEL.decode_head.criterion.to_dict(),
               train_cfg=dict(PAPER_MODEL.train_cfg.to_dict(), num_points=64))
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
    assert outs['cls_logits'][-1].shape == (10, 6, 3)  # background, sounding, no object
    assert outs['mask_logits'][0].shape == (10, 6, 4, 4)  # stride 8
    assert outs['mask_logits'][-1].shape == (10, 6, 16, 16)  # mask features, stride 2
    assert outs['query_embed'].shape == (10, 6, 16)
    # The focal prior: every real class starts at p = 0.01 for every query.
    p = outs['cls_logits'][0].softmax(-1)[..., :2]
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


def test_loss_goes_through_the_criterion():
    torch.manual_seed(0)
    head = _head()
    feats, mask_feat, audio, shape = _inputs(clips=1)
    gt = torch.zeros(5, 32, 32, dtype=torch.uint8)
    gt[0, 4:20, 4:20] = 1
    valid = torch.tensor([True, False, False, False, False])
    losses = head.loss(feats, mask_feat, audio, gt, valid)
    per_layer = {'loss_cls', 'loss_mask', 'loss_dice'}
    assert set(losses) == per_layer | {f'd{i}.{k}' for i in range(3) for k in per_layer} | {
        'loss_aqdl', 'loss_aqml', 'aqdl_s1', 'aqml_s2'}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert head.cls_embed.weight.grad.abs().sum() > 0
    assert head.mask_proj.weight.grad.abs().sum() > 0
    # The thresholds reach the criterion through one method.
    head.set_confidence_thresholds(0.7, 0.8)
    assert (head.criterion.delta1, head.criterion.delta2) == (0.7, 0.8)
    with pytest.raises(ValueError, match='criterion.num_classes'):
        _head(criterion=dict(PAPER_MODEL.decode_head.criterion.to_dict(), num_classes=3))
    with pytest.raises(ValueError, match='background class'):
        _head(num_classes=1)


def _hand_built():
    """One frame, 3 queries, 2x2 pixels. p(bg, sounding, no object) per query."""
    probs = torch.tensor([[0.1, 0.8, 0.1],   # q0: sounding, p = 0.8
                          [0.6, 0.1, 0.3],   # q1: background, p = 0.6
                          [0.2, 0.3, 0.5]])  # q2: "no object" most probable, c = sounding
    cls_logits = probs.log()[None]  # [1, 3, 3]
    m = torch.tensor([[[0.9, 0.1], [0.5, 0.2]],
                      [[0.5, 0.9], [0.8, 0.1]],
                      [[0.2, 0.2], [0.9, 0.1]]])
    return cls_logits, torch.log(m / (1 - m))[None]  # [1, 3, 2, 2]


def test_inference_eq14_eq15_hand_built():
    head = _head()
    cls_logits, mask_logits = _hand_built()
    # eq. 15 over the real classes: c = (sounding, background, sounding) with scores
    # p_i(c_i) = (0.8, 0.6, 0.3); eq. 14 scores per pixel (q0, q1, q2):
    #   (0,0): 0.72, 0.30, 0.06 -> q0 sounding   (0,1): 0.08, 0.54, 0.06 -> q1 background
    #   (1,0): 0.40, 0.48, 0.27 -> q1 background (1,1): 0.16, 0.06, 0.03 -> q0 sounding
    prob, classes = head.predict_by_feat(cls_logits, mask_logits, (2, 2))
    assert classes[0].tolist() == [[1, 0], [0, 1]]
    s_fg = torch.tensor([[0.72, 0.08], [0.40, 0.16]])
    s_bg = torch.tensor([[0.30, 0.54], [0.48, 0.06]])
    torch.testing.assert_close(prob[0], s_fg / (s_fg + s_bg), rtol=1e-5, atol=1e-6)
    assert torch.equal(prob > 0.5, classes.bool())
    # 'threshold': background does not compete; sounding where the best sounding score
    # exceeds 0.5.
    head.test_cfg['inference'] = 'threshold'
    prob, classes = head.predict_by_feat(cls_logits, mask_logits, (2, 2))
    torch.testing.assert_close(prob[0], s_fg, rtol=1e-5, atol=1e-6)
    assert classes[0].tolist() == [[1, 0], [0, 0]]
    head.test_cfg['inference'] = 'all'
    with pytest.raises(ValueError, match='inference'):
        head.predict_by_feat(cls_logits, mask_logits, (2, 2))
    with pytest.raises(ValueError, match='inference'):
        _head(test_cfg=dict(inference='sounding'))


def test_inference_probability_agrees_with_eq14_on_ties_and_many_classes():
    """For K > 2 the class map is the eq. 14 winner's class, and the foreground probability
    is above 0.5 exactly where that class is not background, near-ties included."""
    torch.manual_seed(0)
    head = _head(num_classes=4)
    cls_logits = torch.randn(6, 6, 5) * 3
    mask_logits = torch.randn(6, 6, 8, 8) * 4
    cls_logits[:, 1], mask_logits[:, 1] = cls_logits[:, 0], mask_logits[:, 0]  # exact ties
    prob, classes = head.predict_by_feat(cls_logits, mask_logits, (8, 8))
    scores, labels = cls_logits.softmax(-1)[..., :4].max(-1)  # eq. 15
    weighted = scores[..., None, None] * mask_logits.sigmoid()  # eq. 14: [F, N, 8, 8]
    best, winner = weighted.max(1)
    expected = labels.gather(1, winner.flatten(1)).view_as(winner)
    other_class = labels[..., None, None] != expected[:, None]  # [F, N, 8, 8]
    runner_up = weighted.masked_fill(~other_class, -1).amax(1)
    clear = best - runner_up > 1e-6  # no near-tie between queries of different classes
    assert clear.float().mean() > 0.9
    assert torch.equal(classes[clear], expected[clear])
    assert torch.equal(prob > 0.5, classes > 0)
    assert prob.min() >= 0 and prob.max() <= 1


def test_inference_probability_one_rounding_step_above_background():
    """Eq. 14 picks a sounding query whose score beats the background query's by one
    float32 step: s_fg / (s_fg + s_bg) rounds to 0.5, and the probability must still be
    above 0.5 where the class map says sounding."""
    head = _head(num_queries=2)
    cls_logits = torch.tensor([[[0.0, 5.0, -5.0], [5.0, 0.0, -5.0]]])  # sounding, background
    score = cls_logits[0, 0].softmax(-1)[1]  # the same for both queries
    bg_logit = fg_logit = torch.tensor(-1.93)
    while score * fg_logit.sigmoid() == score * bg_logit.sigmoid():  # smallest step in eq. 14
        fg_logit = torch.nextafter(fg_logit, torch.tensor(1.0))
    s_fg, s_bg = score * fg_logit.sigmoid(), score * bg_logit.sigmoid()
    assert s_fg / (s_fg + s_bg) == 0.5  # the ratio alone would say "not sounding"
    mask_logits = torch.stack([fg_logit, bg_logit]).view(1, 2, 1, 1).expand(1, 2, 2, 2)
    prob, classes = head.predict_by_feat(cls_logits, mask_logits.contiguous(), (2, 2))
    assert classes.eq(1).all()  # the sounding query wins every pixel by one step
    assert (prob > 0.5).all()


def test_inference_upsamples_and_chunks():
    head = _head(test_cfg=dict(frame_chunk=3))
    feats, mask_feat, audio, shape = _inputs()
    prob, classes = head.predict(feats, mask_feat, audio, shape)
    assert prob.shape == classes.shape == (10, 32, 32)
    assert prob.min() >= 0 and prob.max() <= 1
    head.test_cfg['frame_chunk'] = 100
    prob_all, classes_all = head.predict(feats, mask_feat, audio, shape)
    torch.testing.assert_close(prob_all, prob)
    assert torch.equal(classes_all, classes)


def test_cls_prior():
    head = _head(cls_prior_prob=0.05)
    p = torch.softmax(head.cls_embed.bias, 0)
    assert math.isclose(p[0].item(), 0.05, rel_tol=1e-5)
    assert math.isclose(p[1].item(), 0.05, rel_tol=1e-5)
    with pytest.raises(ValueError, match='cls_prior_prob'):
        _head(cls_prior_prob=0.5)


def test_more_frames_than_seconds():
    feats, mask_feat, audio, shape = _inputs(clips=1, frames=5)
    feats12 = [torch.cat([f, f[:2]]) for f in feats]  # 7 frames, 5 seconds
    seconds = torch.tensor([[0, 0, 1, 2, 3, 4, 4]])
    clip_head = _head()
    prob, _ = clip_head.predict(feats12, feats12[-1], audio, shape)  # shared clip queries
    assert prob.shape == (7, 32, 32)
    frame_head = _head(query_mode='frame')
    q = frame_head.build_queries(audio, 7, seconds)
    assert torch.equal(q[0], q[1]) and torch.equal(q[5], q[6]) and not torch.equal(q[1], q[2])
    with pytest.raises(ValueError, match='frame_seconds'):
        frame_head.predict(feats12, feats12[-1], audio, shape)
    assert frame_head.predict(feats12, feats12[-1], audio, shape, seconds)[0].shape == (7, 32,
                                                                                       32)


def test_union_targets_with_eq14_warn():
    with pytest.warns(UserWarning, match="inference='threshold'"):
        _head(criterion=dict(PAPER_MODEL.decode_head.criterion.to_dict(), gt_instances='union'))
    _head(criterion=dict(PAPER_MODEL.decode_head.criterion.to_dict(), gt_instances='union'),
          test_cfg=dict(inference='threshold'))


@pytest.mark.parametrize('aqdl_queries', ['final', 'audio'])
def test_aqdl_on_final_or_audio_queries(aqdl_queries):
    """``aqdl_queries='audio'``: h of eq. 10 projects the audio queries A_q (eq. 1-3), so
    AQDL's gradient reaches the query encoder but no decoder layer; 'final' reaches both."""
    torch.manual_seed(0)
    criterion = dict(PAPER_MODEL.decode_head.criterion.to_dict(), confidence='max_class')
    head = _head(aqdl_queries=aqdl_queries, criterion=criterion)
    head.set_confidence_thresholds(0.0, 0.0)  # every query in S1
    feats, mask_feat, audio, shape = _inputs(clips=1)
    outs = head(feats, mask_feat, audio, shape)
    torch.testing.assert_close(outs['audio_queries'], head.build_queries(audio))
    gt = torch.zeros(5, 32, 32, dtype=torch.uint8)
    losses = head.loss(feats, mask_feat, audio, gt, torch.ones(5, dtype=torch.bool))
    assert losses['loss_aqdl'] > 0 and losses['aqdl_s1'] == 6
    losses['loss_aqdl'].backward()

    def reached(module):
        return any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())

    assert reached(head.aqdl_proj) and reached(head.query_encoder)
    assert reached(head.layers) == (aqdl_queries == 'final')
    assert not reached(head.cls_embed)  # selection only


def test_aqdl_queries_must_be_known():
    with pytest.raises(ValueError, match="aqdl_queries must be one of .*'final', 'audio'"):
        _head(aqdl_queries='decoder')
