"""Negative-audio robustness scores: FPR, G-FPR and the G-scores on hand-made predictions, in
AVSMetric and AVSSMetric and in the shared functions."""
import pytest
import torch
from mmengine.structures import PixelData

import projects.transavs  # noqa: F401  (registers the metrics)
from projects.transavs.evaluation import AVSMetric, AVSSMetric
from projects.transavs.evaluation.robustness import (
    combine_passes,
    frame_foreground_fractions,
    harmonic_mean,
    robustness_scores,
    robustness_table,
)
from projects.transavs.structures import AVSDataSample


def _sample(idx, prob, gt=None, condition=None, valid=None, subset='s4', padded=None,
            pred_key='pred_fg_prob'):
    """A clip of ``[T, H, W]`` predictions (probabilities, or class maps for AVSS)."""
    t = prob.shape[0]
    meta = dict(sample_idx=idx, subset=subset, split='test', category='dog',
                video_name=f'vid{idx}', gt_valid=list(valid or [True] * t))
    if condition is not None:
        meta['audio_condition'] = condition
    if padded is not None:
        meta['frame_padded'] = list(padded)
    sample = AVSDataSample(metainfo=meta)
    sample.gt_sem_seg = PixelData(data=torch.zeros_like(prob, dtype=torch.uint8)
                                  if gt is None else gt)
    sample.set_data({pred_key: PixelData(data=prob)})
    return sample.to_dict()


def _run(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def _fg(*fractions, pixels=4):
    """One 1 x ``pixels`` frame per fraction: the first ``fraction * pixels`` pixels at 1."""
    frames = torch.zeros(len(fractions), 1, pixels)
    for i, f in enumerate(fractions):
        frames[i, 0, :round(f * pixels)] = 1.0
    return frames


def test_frame_foreground_fractions_and_harmonic_mean():
    fg = torch.zeros(3, 2, 4, dtype=torch.bool)
    fg[0, 0, :2] = True  # 2 of 8
    fg[2] = True
    assert frame_foreground_fractions(fg).tolist() == [0.25, 0.0, 1.0]
    assert frame_foreground_fractions(fg[:0]).shape == (0, )
    with pytest.raises(ValueError, match=r'\[n, H, W\]'):
        frame_foreground_fractions(fg[0])
    assert harmonic_mean(0.8, 0.4) == pytest.approx(2 * 0.8 * 0.4 / 1.2)
    assert harmonic_mean(0.0, 0.0) == 0.0 and harmonic_mean(1.0, 0.0) == 0.0


def test_robustness_scores_by_hand():
    scores = robustness_scores(dict(mJ=0.8, mF=0.9), dict(silence=0.1, noise=0.3,
                                                         **{'off-screen': 0.5}))
    assert scores['G-FPR'] == pytest.approx(0.3)
    assert scores['G-mJ'] == pytest.approx(2 * 0.8 * 0.7 / 1.5)
    assert scores['G-mF'] == pytest.approx(2 * 0.9 * 0.7 / 1.6)
    # A model that segments everything whatever the audio: FPR 1, G-scores 0.
    assert robustness_scores(dict(mJ=0.9, mF=0.9), dict(silence=1.0))['G-mJ'] == 0.0
    # A perfect one.
    assert robustness_scores(dict(mJ=1.0, mF=1.0), dict(noise=0.0))['G-mF'] == 1.0
    prefixed = robustness_scores({'ms3/mIoU': 0.5, 'ms3/mF': 0.5}, dict(silence=0.5),
                                 ('mIoU', 'mF'), prefix='ms3/')
    assert prefixed == {'ms3/G-FPR': 0.5, 'ms3/G-mIoU': 0.5, 'ms3/G-mF': 0.5}
    with pytest.raises(ValueError, match='at least one'):
        robustness_scores(dict(mJ=1.0, mF=1.0), {})
    with pytest.raises(ValueError, match='lack'):
        robustness_scores(dict(mJ=1.0), dict(silence=0.0))


def test_avs_metric_negative_clips_give_the_fpr():
    # clip 0: frames 1/4 and 0 sounding; clip 1: frames 1 and 1/2, its 3rd frame unannotated
    # (not counted although all sounding); a probability of exactly 0.5 is not foreground.
    clip0 = _fg(0.25, 0.0)
    clip0[1, 0, 0] = 0.5
    clip1 = _fg(1.0, 0.5, 1.0)
    metrics = _run(AVSMetric(), [
        _sample(0, clip0, condition='silence'),
        _sample(1, clip1, condition='silence', valid=[True, True, False])])
    assert metrics == {'FPR/silence': pytest.approx((0.25 + 0 + 1 + 0.5) / 4)}


def test_avs_metric_positive_and_negative_together():
    gt = torch.tensor([[[1, 1, 0, 0]], [[0, 1, 1, 1]]], dtype=torch.uint8)
    prob = gt.float()  # perfect with the true audio: mJ = mF = 1
    positive = [_sample(0, prob, gt), _sample(1, prob.flip(0), gt.flip(0))]
    alone = _run(AVSMetric(), [dict(s) for s in positive])
    negatives = [_sample(0, _fg(0.5, 0.0), condition='noise'),
                 _sample(1, _fg(0.25, 0.25), condition='noise'),
                 _sample(0, _fg(1.0, 1.0), condition='off-screen'),
                 _sample(1, _fg(0.0, 0.0), condition='off-screen')]
    metrics = _run(AVSMetric(), positive + negatives)
    for key in ('mJ', 'mF', 'mF_dataset', 'frames'):  # negatives do not change them
        assert metrics[key] == pytest.approx(alone[key])
    assert metrics['mJ'] == pytest.approx(1.0)
    assert metrics['FPR/noise'] == pytest.approx(0.25)
    assert metrics['FPR/off-screen'] == pytest.approx(0.5)
    assert metrics['G-FPR'] == pytest.approx(0.375)
    assert metrics['G-mJ'] == pytest.approx(2 * 1.0 * 0.625 / 1.625)
    assert metrics['G-mF'] == pytest.approx(2 * alone['mF'] * 0.625 / (alone['mF'] + 0.625))


def test_avs_metric_same_clip_in_two_conditions_is_not_deduplicated_away():
    # A clip evaluated with the true audio and with silence counts once in each: the
    # duplicate removal (for distributed padding) keys on the condition too.
    gt = torch.tensor([[[1, 0, 0, 0]]], dtype=torch.uint8)
    samples = [_sample(0, gt.float(), gt), _sample(0, _fg(0.5), condition='silence'),
               _sample(0, _fg(0.5), condition='silence')]  # padding duplicate
    metrics = _run(AVSMetric(), samples)
    assert metrics['frames'] == 1 and metrics['FPR/silence'] == pytest.approx(0.5)


def test_avs_metric_per_subset_fpr_and_scores():
    gt = torch.tensor([[[1, 1, 0, 0]]], dtype=torch.uint8)
    samples = [_sample(0, gt.float(), gt, subset='s4'), _sample(0, gt.float(), gt,
                                                                 subset='ms3'),
               _sample(0, _fg(0.75), condition='silence', subset='s4'),
               _sample(0, _fg(0.25), condition='silence', subset='ms3')]
    metrics = _run(AVSMetric(), samples)
    assert metrics['s4/FPR/silence'] == pytest.approx(0.75)
    assert metrics['ms3/FPR/silence'] == pytest.approx(0.25)
    assert metrics['FPR/silence'] == pytest.approx(0.5)
    assert metrics['s4/G-mJ'] == pytest.approx(2 * 0.25 / 1.25)
    assert metrics['ms3/G-mJ'] == pytest.approx(2 * 0.75 / 1.75)


def test_avs_metric_writes_negative_pngs_apart(tmp_path):
    metric = AVSMetric(output_dir=str(tmp_path))
    gt = torch.tensor([[[1, 0, 0, 0]]], dtype=torch.uint8)
    positive = _sample(0, gt.float(), gt)
    positive['mask_rel_paths'] = ['dog/vid0/vid0_1.png']
    negative = _sample(0, _fg(1.0), condition='off-screen')
    negative['mask_rel_paths'] = ['dog/vid0/vid0_1.png']
    _run(metric, [positive, negative])
    assert (tmp_path / 'dog/vid0/vid0_1.png').is_file()
    assert (tmp_path / 'off-screen/dog/vid0/vid0_1.png').is_file()


def test_avss_metric_fpr_counts_any_class_on_real_frames():
    # 3 frames of 1 x 4: classes 2 and 5 predicted count, background does not; the third
    # frame is padding (not counted, although predicted all class 3).
    pred = torch.tensor([[[0, 2, 5, 0]], [[0, 0, 0, 0]], [[3, 3, 3, 3]]])
    metrics = _run(AVSSMetric(num_classes=6), [
        _sample(0, pred, condition='silence', padded=[False, False, True],
                pred_key='pred_sem_seg', subset='v1m')])
    assert metrics == {'FPR/silence': pytest.approx(0.25)}


def test_avss_metric_mixed_run_gives_the_g_scores():
    gt = torch.tensor([[[0, 1, 1, 0]]], dtype=torch.uint8)
    positive = _sample(0, gt.clone().long(), gt, pred_key='pred_sem_seg', subset='v2')
    alone = _run(AVSSMetric(num_classes=3), [dict(positive)])
    metrics = _run(AVSSMetric(num_classes=3), [
        positive,
        _sample(0, torch.tensor([[[1, 0, 0, 0]]]), condition='silence',
                pred_key='pred_sem_seg', subset='v2')])
    assert metrics['mIoU'] == pytest.approx(alone['mIoU'])
    assert metrics['FPR/silence'] == pytest.approx(0.25)
    assert metrics['G-mIoU'] == pytest.approx(harmonic_mean(alone['mIoU'], 0.75))
    assert metrics['G-mF'] == pytest.approx(harmonic_mean(alone['mF'], 0.75))


def test_combine_passes_and_table():
    metrics = {'mJ': 0.6, 'mF': 0.7, 's4/mJ': 0.5, 's4/mF': 0.6, 'ms3/mJ': 0.7, 'ms3/mF': 0.8,
               'FPR/silence': 0.2, 's4/FPR/silence': 0.1, 'ms3/FPR/silence': 0.3,
               'FPR/noise': 0.4, 's4/FPR/noise': 0.3, 'ms3/FPR/noise': 0.5}
    score_keys, subsets = combine_passes(metrics, ['silence', 'noise'])
    assert score_keys == ('mJ', 'mF') and subsets == ['ms3', 's4']
    assert metrics['G-FPR'] == pytest.approx(0.3)
    assert metrics['s4/G-FPR'] == pytest.approx(0.2)
    assert metrics['ms3/G-mF'] == pytest.approx(harmonic_mean(0.8, 0.6))
    text = robustness_table(metrics, ['silence', 'noise'], score_keys, subsets).get_string()
    assert 'FPR silence' in text and 'G-mJ' in text
    assert text.count('0.3000') >= 1 and '| s4 ' in text and '| all ' in text
    semantic = {'mIoU': 0.5, 'mF': 0.5, 'FPR/silence': 0.0}
    assert combine_passes(semantic, ['silence']) == (('mIoU', 'mF'), [])
    assert semantic['G-mIoU'] == pytest.approx(harmonic_mean(0.5, 1.0))
