"""AQDL (eq. 9-10), AQML (eq. 11-12) and the softmax focal loss, on hand-computed cases."""
import pytest
import torch
from mmseg.models.losses.focal_loss import py_sigmoid_focal_loss
from mmseg.registry import MODELS

from projects.transavs.models.losses import (
    AQDLoss,
    AQMLoss,
    SoftmaxFocalLoss,
    aqd_pair_terms,
    softmax_focal_loss,
)


def _embeds():
    # Three queries on a line: u0 and u1 close (||.||^2 = 0.25), u2 far (9 and 6.25).
    return torch.tensor([[[0.0, 0.0], [0.5, 0.0], [3.0, 0.0]]], requires_grad=True)


def test_aqdl_hand_computed():
    loss = AQDLoss(d0=1.0, loss_weight=2.0, normalize=False)
    probs = torch.tensor([[0.9, 0.8, 0.7]])
    # n1 = 3: pairs (0,1) -> 1/0.25 = 4, (0,2) and (1,2) beyond d0 -> 0.
    # 2 / (3 * 4) * 4 = 2/3, times lambda1 = 2.
    assert loss(_embeds(), probs, 0.55).item() == pytest.approx(4 / 3, rel=1e-6)
    # delta1 = 0.75 keeps queries 0 and 1: n1 = 2 -> 2 / (2 * 3) * 4 = 4/3, times 2.
    assert loss(_embeds(), probs, 0.75).item() == pytest.approx(8 / 3, rel=1e-6)
    # d0 above 9 counts every pair: 4 + 1/9 + 1/6.25.
    wide = AQDLoss(d0=10.0, loss_weight=1.0, normalize=False)
    expected = 2 / 12 * (4 + 1 / 9 + 1 / 6.25)
    assert wide(_embeds(), probs, 0.55).item() == pytest.approx(expected, rel=1e-6)


def test_aqdl_degenerate_cases():
    loss = AQDLoss(d0=1.0, loss_weight=2.0, normalize=False)
    # n1 < 2 and all below threshold give 0.
    assert loss(_embeds(), torch.tensor([[0.9, 0.1, 0.1]]), 0.55).item() == 0
    assert loss(_embeds(), torch.tensor([[0.1, 0.1, 0.1]]), 0.55).item() == 0
    # Identical embeddings: the bounded form's value at collapse, 2 / eps.
    same = torch.zeros(1, 2, 4)
    assert loss(same, torch.tensor([[0.9, 0.9]]), 0.55).item() == pytest.approx(
        2 * (2 / 6) * 2e6, rel=1e-5)


def test_aqdl_bounded_near_collapse():
    """Eq. 10 exactly away from collapse; below eps its tangent line: bounded, continuous,
    and with a gradient that pushes nearly collapsed queries apart (a clamp has none)."""
    eps = 1e-4
    for gap in (2e-2, 1.5e-2, 1.01e-2):  # squared distances 4e-4 .. 1.02e-4 >= eps
        u = torch.tensor([[[0.0, 0.0], [gap, 0.0]]])
        assert aqd_pair_terms(u, d0=1.0, eps=eps)[0, 0, 1].item() == pytest.approx(
            1 / gap**2, rel=1e-5)
    # continuous at eps, bounded by 2 / eps at collapse
    at = aqd_pair_terms(torch.tensor([[[0.0, 0.0], [eps**0.5, 0.0]]]), 1.0, eps)[0, 0, 1]
    assert at.item() == pytest.approx(1 / eps, rel=1e-4)
    same = aqd_pair_terms(torch.zeros(1, 2, 3), 1.0, eps)[0, 0, 1]
    assert same.item() == pytest.approx(2 / eps, rel=1e-6)
    # near collapse (squared distance 1e-6 < eps): a gradient pulling u1 away from u0
    u = torch.tensor([[[0.0, 0.0], [1e-3, 0.0]]], requires_grad=True)
    term = aqd_pair_terms(u, 1.0, eps)[0, 0, 1]
    assert term.item() == pytest.approx((2 * eps - 1e-6) / eps**2, rel=1e-4)
    term.backward()
    grad = u.grad[0]
    assert torch.isfinite(grad).all() and grad[1, 0] < 0 < grad[0, 0]  # descent separates
    # the old clamp 1 / max(x, eps) has no gradient there
    v = u.detach().clone().requires_grad_(True)
    d2 = (v[0, 0] - v[0, 1]).pow(2).sum()
    (1.0 / d2.clamp(min=eps)).backward()
    assert v.grad.abs().max() == 0
    # exact collapse: finite value, zero gradient (symmetric pair), no NaN
    w = torch.zeros(1, 2, 3, requires_grad=True)
    aqd_pair_terms(w, 1.0, eps)[0, 0, 1].backward()
    assert torch.equal(w.grad, torch.zeros_like(w))


def test_aqdl_mean_over_frames():
    loss = AQDLoss(d0=1.0, loss_weight=1.0, normalize=False)
    embeds = _embeds().detach().repeat(2, 1, 1)  # two frames
    probs = torch.tensor([[0.9, 0.8, 0.7], [0.9, 0.1, 0.1]])  # second frame: n1 = 1
    assert loss(embeds, probs, 0.55).item() == pytest.approx((2 / 3 + 0) / 2, rel=1e-6)
    assert loss(embeds, probs, 0.95).item() == 0


def test_frames_left_out_and_the_paired_reduction():
    """Frames outside ``frames`` (padding) never enter the average; ``'paired'`` averages
    over the frames with a pair only. Both losses share the rule."""
    embeds = _embeds().detach().repeat(3, 1, 1)  # three frames, each worth 2/3 with n1 = 3
    probs = torch.tensor([[0.9, 0.8, 0.7], [0.9, 0.1, 0.1], [0.9, 0.8, 0.7]])  # frame 1: n1 = 1
    frames = torch.tensor([True, True, False])  # frame 2 pads its clip
    per_frame = 2 / 3
    all_frames = AQDLoss(d0=1.0, loss_weight=1.0, normalize=False)
    paired = AQDLoss(d0=1.0, loss_weight=1.0, normalize=False, frame_reduction='paired')
    assert all_frames(embeds, probs, 0.55).item() == pytest.approx(2 * per_frame / 3)
    assert all_frames(embeds, probs, 0.55, frames).item() == pytest.approx(per_frame / 2)
    assert paired(embeds, probs, 0.55).item() == pytest.approx(per_frame)
    assert paired(embeds, probs, 0.55, frames).item() == pytest.approx(per_frame)
    # a padded frame with a huge term changes nothing
    close = embeds.clone()
    close[2, 1] = close[2, 0] + 1e-4
    assert all_frames(close, probs, 0.55, frames).item() == pytest.approx(per_frame / 2)
    assert all_frames(close, probs, 0.55).item() > 1e3
    # no frame with a pair, or no frame at all: 0, not NaN
    assert paired(embeds, torch.full((3, 3), 0.1), 0.55).item() == 0
    assert all_frames(embeds, probs, 0.55, torch.zeros(3, dtype=torch.bool)).item() == 0
    masks = _masks().detach().repeat(2, 1, 1, 1)
    aqml = AQMLoss(loss_weight=1.0, frame_reduction='paired')
    two = torch.tensor([[0.9, 0.9], [0.9, 0.1]])
    assert aqml(masks, two, 0.55).item() == pytest.approx(0.2375 / 3, rel=1e-6)
    assert AQMLoss(loss_weight=1.0)(masks, two, 0.55).item() == pytest.approx(0.2375 / 6)
    for cls in (AQDLoss, AQMLoss):
        kwargs = dict(d0=1.0) if cls is AQDLoss else {}
        with pytest.raises(ValueError, match="frame_reduction must be one of .*'median'"):
            cls(frame_reduction='median', **kwargs)


def test_aqdl_unit_normalised_distances():
    """With ``normalize=True`` the distance is between unit vectors (in [0, 4]): the scale
    of h(q) does not matter, only the angle."""
    loss = AQDLoss(d0=1.5, loss_weight=1.0)
    # u0 along x; u1 at 60 degrees (||.||^2 = 2 - 2 cos = 1); u2 opposite (4); any lengths.
    embeds = torch.tensor([[[3.0, 0.0], [0.5 * 0.2, 0.866025 * 0.2], [-7.0, 0.0]]])
    probs = torch.tensor([[0.9, 0.9, 0.9]])
    # Pairs (0,1): 1/1 = 1 (< 1.5); (0,2) and (1,2) are 4 and 3 apart -> 0. 2/(3*4) * 1.
    assert loss(embeds, probs, 0.5).item() == pytest.approx(1 / 6, rel=1e-4)
    assert loss(embeds * 100, probs, 0.5).item() == pytest.approx(1 / 6, rel=1e-4)
    assert AQDLoss(d0=0.9)(embeds, probs, 0.5).item() == 0


def test_aqdl_gradient_pushes_close_queries_apart():
    loss = AQDLoss(d0=1.0, loss_weight=2.0, normalize=False)
    embeds = _embeds()
    probs = torch.tensor([[0.9, 0.8, 0.7]], requires_grad=True)
    loss(embeds, probs, 0.55).backward()
    grad = embeds.grad[0]
    # loss = lambda1 * 2 / (3 * 4) * 1 / ||u0 - u1||^2 + 0 = (1/3) / ||u0 - u1||^2, so
    # d/du0 = -(1/3) * 2 (u0 - u1) / ||u0 - u1||^4, with u0 - u1 = (-0.5, 0).
    assert grad[0, 0].item() == pytest.approx((1 / 3) * 2 * 0.5 / 0.0625, rel=1e-5)
    assert grad[1, 0].item() == pytest.approx(-grad[0, 0].item(), rel=1e-5)
    assert torch.all(grad[2] == 0)  # u2 is beyond d0
    assert probs.grad is None or torch.all(probs.grad == 0)  # selection only


def _masks():
    m0 = torch.tensor([[0.9, 0.2], [0.6, 0.0]])
    m1 = torch.tensor([[0.7, 0.8], [0.1, 0.3]])
    return torch.stack([m0, m1])[None].requires_grad_()  # [F=1, N=2, 2, 2]


def test_aqml_hand_computed():
    loss = AQMLoss(loss_weight=2.0)
    probs = torch.tensor([[0.9, 0.9]])
    # Bin(m0) m1 = 0.7 + 0.1, m0 Bin(m1) = 0.9 + 0.2; I = 1.9 / (2 * 4) = 0.2375;
    # n2 = 2 -> 2 / 6 * 0.2375, times lambda2 = 2.
    assert loss(_masks(), probs, 0.55).item() == pytest.approx(2 * 0.2375 / 3, rel=1e-6)
    assert loss(_masks(), torch.tensor([[0.9, 0.5]]), 0.55).item() == 0  # n2 = 1
    assert loss(_masks(), torch.tensor([[0.1, 0.2]]), 0.55).item() == 0  # none selected


def test_aqml_gradient_only_through_unbinarised_factor():
    loss = AQMLoss(loss_weight=1.0)
    masks = _masks()
    loss(masks, torch.tensor([[0.9, 0.9]]), 0.55).backward()
    coef = (2 / 6) / 8
    # m1 is pulled down where Bin(m0) is on: (0,0) and (1,0); m0 where Bin(m1) is on.
    expected_m1 = torch.tensor([[1.0, 0.0], [1.0, 0.0]]) * coef
    expected_m0 = torch.tensor([[1.0, 1.0], [0.0, 0.0]]) * coef
    torch.testing.assert_close(masks.grad[0, 1], expected_m1)
    torch.testing.assert_close(masks.grad[0, 0], expected_m0)


def test_softmax_focal_equals_sigmoid_focal_of_logit_difference():
    torch.manual_seed(0)
    logits = torch.randn(50, 2) * 3
    labels = torch.randint(0, 2, (50, ))
    ours = SoftmaxFocalLoss(gamma=2.0, alpha=0.25, reduction='none', loss_weight=1.0)
    diff = (logits[:, 0] - logits[:, 1])[:, None]  # [M, 1]
    target = (labels == 0).float()[:, None]
    ref = py_sigmoid_focal_loss(diff, target, gamma=2.0, alpha=0.25, reduction='none')
    torch.testing.assert_close(ours(logits, labels), ref[:, 0], rtol=1e-5, atol=1e-6)


def test_softmax_focal_reduction_and_alpha_list():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    labels = torch.tensor([0, 2])
    p = logits.softmax(-1)
    expected = torch.stack([
        -0.2 * (1 - p[0, 0])**2 * p[0, 0].log(),
        -0.5 * (1 - p[1, 2])**2 * p[1, 2].log()
    ])
    unreduced = softmax_focal_loss(logits, labels, 2.0, torch.tensor([0.2, 0.3, 0.5]))
    torch.testing.assert_close(unreduced, expected)
    loss = MODELS.build(dict(type='SoftmaxFocalLoss', alpha=[0.2, 0.3, 0.5], loss_weight=5.0))
    assert loss(logits, labels, avg_factor=4).item() == pytest.approx(
        5 * expected.sum().item() / 4, rel=1e-5)
    with pytest.raises(ValueError, match='3 classes'):
        SoftmaxFocalLoss(alpha=[0.5, 0.5])(logits, labels)


def test_softmax_focal_float_alpha_weights_no_object_class():
    """A float alpha gives every real class ``a`` and the last ("no object") ``1 - a``."""
    logits = torch.tensor([[1.0, 0.0, -1.0], [0.0, 2.0, 0.0], [0.5, 0.5, 0.5]])
    labels = torch.tensor([0, 1, 2])
    ours = SoftmaxFocalLoss(alpha=0.25, reduction='none', loss_weight=1.0)(logits, labels)
    plain = softmax_focal_loss(logits, labels, 2.0)
    torch.testing.assert_close(ours, plain * torch.tensor([0.25, 0.25, 0.75]))
