"""Tests of the vectorised AVSBench metrics against a literal copy of the official loops."""
import pytest
import torch

from projects.transavs.evaluation.functional import (
    dataset_fscore,
    frame_fscore_curves,
    frame_jaccard,
    fscore_thresholds,
    official_fscore,
)


# ---- the official AVSBench code, transcribed loop for loop --------------------------------
# Only change: it receives probabilities (the official code applies torch.sigmoid to logits
# first), so that tests can place probabilities exactly on the thresholds.
def official_mask_iou(prob, target, eps=1e-7):
    N = prob.size(0)
    num_pixels = prob.size(-1) * prob.size(-2)
    no_obj_flag = (target.sum(2).sum(1) == 0)
    pred = (prob > 0.5).int()
    inter = (pred * target).sum(2).sum(1)
    union = torch.max(pred, target).sum(2).sum(1)
    inter_no_obj = ((1 - target) * (1 - pred)).sum(2).sum(1)
    inter[no_obj_flag] = inter_no_obj[no_obj_flag]
    union[no_obj_flag] = num_pixels
    return torch.sum(inter / (union + eps)) / N


def official_eval_pr(y_pred, y, num):
    prec, recall = torch.zeros(num), torch.zeros(num)
    thlist = torch.linspace(0, 1 - 1e-10, num)
    for i in range(num):
        y_temp = (y_pred >= thlist[i]).float()
        tp = (y_temp * y).sum()
        prec[i], recall[i] = tp / (y_temp.sum() + 1e-20), tp / (y.sum() + 1e-20)
    return prec, recall


def official_fmeasure(prob, gt, pr_num=255):
    N = prob.size(0)
    beta2 = 0.3
    avg_f, img_num = 0.0, 0
    score = torch.zeros(pr_num)
    for img_id in range(N):
        if torch.mean(gt[img_id]) == 0.0:
            continue
        prec, recall = official_eval_pr(prob[img_id], gt[img_id], pr_num)
        f_score = (1 + beta2) * prec * recall / (beta2 * prec + recall)
        f_score[f_score != f_score] = 0
        avg_f += f_score
        img_num += 1
        score = avg_f / img_num
    return score.max().item()


def official_curve(prob, gt, pr_num=255):
    """The official per-image F curve (the body of the loop above)."""
    prec, recall = official_eval_pr(prob, gt, pr_num)
    f_score = (1 + 0.3) * prec * recall / (0.3 * prec + recall)
    f_score[f_score != f_score] = 0
    return f_score


def ours_batch_f(prob, gt):
    curves = frame_fscore_curves(prob, gt)
    non_empty = gt.flatten(1).any(1)
    return official_fscore([curves[non_empty]])
# --------------------------------------------------------------------------------------------


def _random_case(seed, frames=6, size=(9, 11), on_thresholds=False):
    gen = torch.Generator().manual_seed(seed)
    gt = (torch.rand((frames, ) + size, generator=gen) < 0.3).float()
    gt[1] = 0  # one empty ground truth
    if on_thresholds:  # every probability exactly equal to one of the thresholds
        idx = torch.randint(0, 255, (frames, ) + size, generator=gen)
        prob = fscore_thresholds()[idx]
    else:
        prob = torch.sigmoid(3 * torch.randn((frames, ) + size, generator=gen))
    return prob, gt


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('on_thresholds', [False, True])
def test_matches_official_code_on_random_batches(seed, on_thresholds):
    prob, gt = _random_case(seed, on_thresholds=on_thresholds)
    j = frame_jaccard(prob, gt)
    assert j.shape == (6, )
    assert j.mean().item() == pytest.approx(official_mask_iou(prob, gt).item(), abs=1e-6)
    assert ours_batch_f(prob, gt) == pytest.approx(official_fmeasure(prob, gt), abs=1e-6)
    curves = frame_fscore_curves(prob, gt)
    for i in range(6):
        torch.testing.assert_close(curves[i], official_curve(prob[i], gt[i]), atol=1e-6,
                                   rtol=0)


def test_edge_values_zero_one_and_half():
    # 0 reaches only the first threshold (0), 1 reaches all of them, 0.5 is not > 0.5.
    gt = torch.tensor([[[1., 1.], [0., 0.]]])
    for value in (0.0, 1.0, 0.5):
        prob = torch.full((1, 2, 2), value)
        torch.testing.assert_close(
            frame_fscore_curves(prob, gt)[0], official_curve(prob[0], gt[0]), atol=1e-6, rtol=0)
        assert frame_jaccard(prob, gt).item() == pytest.approx(
            official_mask_iou(prob, gt).item(), abs=1e-7)
    # prob == 1 and prob == 0.5 everywhere: J is 2/4 and 0 (0.5 is background).
    assert frame_jaccard(torch.ones(1, 2, 2), gt).item() == pytest.approx(0.5)
    assert frame_jaccard(torch.full((1, 2, 2), 0.5), gt).item() == pytest.approx(0.0)


def test_nan_probability_is_never_foreground_as_in_official_code():
    prob, gt = _random_case(7, frames=3)
    prob[0, 0, :5] = float('nan')
    prob[2] = float('nan')
    torch.testing.assert_close(frame_fscore_curves(prob, gt)[2], torch.zeros(255))
    assert ours_batch_f(prob, gt) == pytest.approx(official_fmeasure(prob, gt), abs=1e-6)
    assert frame_jaccard(prob, gt).mean().item() == pytest.approx(
        official_mask_iou(prob, gt).item(), abs=1e-6)


def test_all_zero_prediction():
    gt = torch.zeros(2, 4, 4)
    gt[0, :2] = 1  # frame 0: 8 foreground pixels; frame 1: empty
    prob = torch.zeros(2, 4, 4)
    j = frame_jaccard(prob, gt)
    # frame 0: nothing predicted -> 0 / 8; frame 1: empty GT, all 16 pixels true negatives.
    torch.testing.assert_close(j, torch.tensor([0.0, 16 / (16 + 1e-7)]))
    assert j.mean().item() == pytest.approx(official_mask_iou(prob, gt).item(), abs=1e-7)
    curves = frame_fscore_curves(prob, gt)
    # Threshold 0: all 16 pixels predicted, precision 1/2, recall 1: F = 1.3*0.5/(0.15+1).
    assert curves[0, 0].item() == pytest.approx(1.3 * 0.5 / 1.15, abs=1e-6)
    assert torch.all(curves[0, 1:] == 0)  # nothing reaches a positive threshold: NaN -> 0
    assert torch.all(curves[1] == 0)  # empty ground truth: recall 0
    assert ours_batch_f(prob, gt) == pytest.approx(official_fmeasure(prob, gt), abs=1e-7)


def test_hand_computed_jaccard_and_fscore():
    # 1x4 frame: GT = [1, 1, 0, 0]; prob = [0.9, 0.4, 0.7, 0.1].
    gt = torch.tensor([[[1., 1., 0., 0.]]])
    prob = torch.tensor([[[0.9, 0.4, 0.7, 0.1]]])
    # Binary prediction [1, 0, 1, 0]: intersection 1, union 3.
    assert frame_jaccard(prob, gt).item() == pytest.approx(1 / 3, abs=1e-6)
    curves = frame_fscore_curves(prob, gt)[0]
    # Threshold i is i / 254. F = 1.3 P R / (0.3 P + R) with (true pos., predicted pos.):
    expected = {
        0: 1.3 * 0.5 * 1 / (0.15 + 1),  # t = 0: all 4 predicted, TP 2: P 1/2, R 1
        30: 1.3 * (2 / 3) / (0.2 + 1),  # t ~ 0.118: 0.9, 0.4, 0.7: P 2/3, R 1
        110: 1.3 * 0.25 / (0.15 + 0.5),  # t ~ 0.433: 0.9, 0.7: P 1/2, R 1/2
        200: 1.3 * 0.5 / (0.3 + 0.5),  # t ~ 0.787: 0.9: P 1, R 1/2
        240: 0.0,  # t ~ 0.945: nothing predicted, NaN -> 0
    }
    for i, value in expected.items():
        assert curves[i].item() == pytest.approx(value, abs=1e-6), i
    # The best threshold keeps only 0.9 (precision 1, recall 1/2): F = 1.3*0.5/(0.3+0.5).
    assert curves.max().item() == pytest.approx(1.3 * 0.5 / 0.8, abs=1e-6)
    assert official_fscore([curves[None]]) == pytest.approx(1.3 * 0.5 / 0.8, abs=1e-6)


def test_official_and_dataset_fscore_reductions():
    a = torch.tensor([[0.2, 0.8, 0.4]])
    b = torch.tensor([[0.6, 0.2, 0.1], [0.6, 0.4, 0.1]])
    # batch 1: max(a) = 0.8; batch 2: max of mean [0.6, 0.3, 0.1] = 0.6; empty batch: 0.
    assert official_fscore([a, b]) == pytest.approx(0.7)
    assert official_fscore([a, b, torch.zeros(0, 3)]) == pytest.approx(1.4 / 3)
    assert official_fscore([]) == 0.0
    # dataset: mean over the 3 frames [1.4/3, 1.4/3, 0.2] -> max 1.4/3.
    assert dataset_fscore(torch.cat([a, b])) == pytest.approx(1.4 / 3)
    assert dataset_fscore(torch.zeros(0, 3)) == 0.0


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r'\[F, H, W\]'):
        frame_jaccard(torch.zeros(2, 3, 3), torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r'\[F, H, W\]'):
        frame_fscore_curves(torch.zeros(3, 3), torch.zeros(3, 3))
