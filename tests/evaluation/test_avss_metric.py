"""AVSSMetric and its per-class scores against a loop-for-loop transcription of the official
AVSBench-semantic code (``avss/utils/compute_color_metrics.py`` and ``avss/test.py``)."""
import random

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.registry import METRICS

import projects.transavs  # noqa: F401  (registers AVSSMetric)
from projects.transavs.datasets.semantic_palette import AVSS_CLASSES, bit_palette
from projects.transavs.evaluation import (
    AVSSMetric,
    frame_class_stats,
    read_palette_png,
    summarize_classes,
)
from projects.transavs.structures import AVSDataSample

K = 71
H, W = 4, 5


# ---------------------------------------------------------------- the official code
def official_batch(output, target, nclass, beta2=0.3):
    """``_batch_miou_fscore`` of the official code: output [BF, C, H, W], target [BF, H, W]."""
    mini, maxi, nbins = 1, nclass, nclass
    predict = torch.argmax(output, 1) + 1
    target = target.float() + 1
    predict = predict.float() * (target > 0).float()
    intersection = predict * (predict == target).float()
    cls_count = torch.zeros(nclass).float()
    ious = torch.zeros(nclass).float()
    fscores = torch.zeros(nclass).float()
    for i in range(target.shape[0]):
        area_inter = torch.histc(intersection[i].cpu(), bins=nbins, min=mini, max=maxi)
        area_pred = torch.histc(predict[i].cpu(), bins=nbins, min=mini, max=maxi)
        area_lab = torch.histc(target[i].cpu(), bins=nbins, min=mini, max=maxi)
        area_union = area_pred + area_lab - area_inter
        assert torch.sum(area_inter > area_union).item() == 0
        iou = 1.0 * area_inter.float() / (2.220446049250313e-16 + area_union.float())
        ious += iou
        cls_count[torch.nonzero(area_union).squeeze(-1)] += 1
        precision = area_inter / area_pred
        recall = area_inter / area_lab
        fscore = (1 + beta2) * precision * recall / (beta2 * precision + recall)
        fscore[fscore != fscore] = 0
        fscores += fscore
    return ious, fscores, cls_count


def official_test(batches, nclass=K):
    """``avss/test.py``: sums over the test batches, then per-class means and their mean."""
    miou_pc = torch.zeros(nclass)
    fscore_pc = torch.zeros(nclass)
    cls_pc = torch.zeros(nclass)
    for pred, target in batches:
        output = torch.nn.functional.one_hot(pred.long(), nclass).permute(0, 3, 1, 2).float()
        ious, fscores, count = official_batch(output, target, nclass)
        miou_pc += ious
        fscore_pc += fscores
        cls_pc += count
    miou_pc = miou_pc / cls_pc
    miou_pc[torch.isnan(miou_pc)] = 0
    miou = torch.mean(miou_pc).item()
    fscore_pc = fscore_pc / cls_pc
    fscore_pc[torch.isnan(fscore_pc)] = 0
    mean_f = torch.mean(fscore_pc).item()
    return miou, mean_f


# ---------------------------------------------------------------- hand-made clips
def make_sample(idx, gt, pred, subset='v2', split='test', valid=None, padded=None):
    """A clip of ``T`` frames: gt and pred ``[T, H, W]`` class maps."""
    num = gt.shape[0]
    valid = [True] * num if valid is None else list(valid)
    meta = dict(sample_idx=idx, subset=subset, split=split, video_name=f'{subset}_{idx}',
                gt_valid=valid,
                mask_rel_paths=[f'{subset}/{subset}_{idx}/labels_rgb/{i}.png' if v else None
                                for i, v in enumerate(valid)])
    if padded is not None:
        meta['frame_padded'] = list(padded)
    sample = AVSDataSample(metainfo=meta)
    sample.gt_sem_seg = PixelData(data=torch.as_tensor(gt, dtype=torch.uint8))
    sample.pred_sem_seg = PixelData(data=torch.as_tensor(pred, dtype=torch.uint8))
    return sample


def noisy(gt, classes, rate, gen):
    """``gt`` with a fraction ``rate`` of pixels replaced by random ``classes``."""
    pred = gt.clone()
    flip = torch.rand(gt.shape, generator=gen) < rate
    choice = torch.tensor(classes)[torch.randint(len(classes), gt.shape, generator=gen)]
    pred[flip] = choice[flip]
    return pred


def v2_clip(gen, classes=(0, 3, 17, 70)):
    """10 frames of a few classes; frame 2 all background in both; frame 5 empty GT with a
    predicted object; predictions use classes absent from every GT (5, 42)."""
    gt = torch.tensor(classes)[torch.randint(len(classes), (10, H, W), generator=gen)]
    pred = noisy(gt, list(classes) + [5, 42], 0.3, gen)
    gt[2] = 0
    pred[2] = 0
    gt[5] = 0
    pred[5, :2] = 42
    return gt, pred


def v1_padded_clip(gen, classes=(0, 8, 61), split='test', predict_on_padding=True):
    """A v1 clip padded to 10 frames: 5 real, 5 black padded frames (GT all 0)."""
    gt = torch.zeros(10, H, W, dtype=torch.long)
    gt[:5] = torch.tensor(classes)[torch.randint(len(classes), (5, H, W), generator=gen)]
    pred = noisy(gt, list(classes) + [12], 0.25, gen)
    pred[5:] = 0
    if predict_on_padding:  # a model predicting objects on black frames
        pred[7, :2] = 8
        pred[9] = 12
    annotated = [True] * 5 if split != 'train' else [True, False, False, False, False]
    valid = annotated + [False] * 5
    padded = [False] * 5 + [True] * 5
    return gt, pred, valid, padded


def dataset(seed=0):
    """v2 clips, v1m and v1s clips padded to 10 frames, one v1s train-like clip."""
    gen = torch.Generator().manual_seed(seed)
    clips = []
    for idx in range(3):
        gt, pred = v2_clip(gen)
        clips.append(dict(idx=idx, subset='v2', gt=gt, pred=pred, valid=[True] * 10,
                          padded=[False] * 10))
    for idx, subset in enumerate(('v1m', 'v1m', 'v1s')):
        gt, pred, valid, padded = v1_padded_clip(gen, predict_on_padding=idx != 1)
        clips.append(dict(idx=idx, subset=subset, gt=gt, pred=pred, valid=valid,
                          padded=padded))
    return clips


def to_samples(clips, split='test'):
    return [make_sample(c['idx'], c['gt'], c['pred'], c['subset'], split, c['valid'],
                        c['padded']) for c in clips]


def official_on(clips, evaluate_padded=True):
    """The official value on the frames the metric evaluates, one batch per clip."""
    batches = []
    for c in clips:
        keep = [v or (p and evaluate_padded) for v, p in zip(c['valid'], c['padded'])]
        index = torch.tensor([i for i, k in enumerate(keep) if k], dtype=torch.long)
        batches.append((c['pred'][index], c['gt'][index]))
    return official_test(batches)


def run_metric(data_samples, chunks=1, **cfg):
    cfg.setdefault('num_classes', K)
    metric = AVSSMetric(**cfg)
    dicts = [s.to_dict() for s in data_samples]
    step = max(1, -(-len(dicts) // chunks))
    for start in range(0, len(dicts), step):
        metric.process({}, dicts[start:start + step])
    return metric.compute_metrics(metric.results)


# ---------------------------------------------------------------- equal to the official code
def test_transcription_sanity():
    """Hand-computed: one frame, GT [0 0 1 1 2], pred [0 1 1 1 3] (K = 4)."""
    gt = torch.tensor([[[0, 0, 1, 1, 2]]])
    pred = torch.tensor([[[0, 1, 1, 1, 3]]])
    miou, mean_f = official_test([(pred, gt)], nclass=4)
    # IoU: bg 1/2, c1 2/3, c2 0, c3 0 (each counted once)
    assert miou == pytest.approx((0.5 + 2 / 3) / 4, abs=1e-6)
    f_bg = 1.3 * 1 * 0.5 / (0.3 * 1 + 0.5)  # P 1, R 1/2
    f_1 = 1.3 * (2 / 3) * 1 / (0.3 * 2 / 3 + 1)  # P 2/3, R 1
    assert mean_f == pytest.approx((f_bg + f_1) / 4, abs=1e-6)
    stats = frame_class_stats(pred, gt, 4)
    assert stats['iou_sum'].tolist() == pytest.approx([0.5, 2 / 3, 0, 0])
    assert stats['f_sum'].tolist() == pytest.approx([f_bg, f_1, 0, 0])
    assert stats['count'].tolist() == [1, 1, 1, 1]
    assert stats['iou_sum'].dtype == torch.float64 and stats['frames'] == 1
    summary = summarize_classes(stats['iou_sum'], stats['f_sum'], stats['count'])
    assert summary['mIoU'] == pytest.approx(miou, abs=1e-6)
    assert summary['mF'] == pytest.approx(mean_f, abs=1e-6)


def test_equals_official_with_padded_frames():
    clips = dataset()
    metrics = run_metric(to_samples(clips))
    miou, mean_f = official_on(clips, evaluate_padded=True)
    assert metrics['mIoU'] == pytest.approx(miou, abs=1e-4)
    assert metrics['mF'] == pytest.approx(mean_f, abs=1e-4)
    assert metrics['frames'] == 3 * 10 + 3 * 10
    # one batch for the whole test set gives the same (the official sums are per frame)
    batches = [(torch.cat([c['pred'] for c in clips]), torch.cat([c['gt'] for c in clips]))]
    assert official_test(batches) == pytest.approx((miou, mean_f), abs=1e-5)


def test_without_padded_frames_equals_official_on_real_frames_and_differs():
    clips = dataset()
    metrics = run_metric(to_samples(clips), evaluate_padded=False)
    miou, mean_f = official_on(clips, evaluate_padded=False)
    assert metrics['mIoU'] == pytest.approx(miou, abs=1e-4)
    assert metrics['mF'] == pytest.approx(mean_f, abs=1e-4)
    assert metrics['frames'] == 3 * 10 + 3 * 5
    padded = run_metric(to_samples(clips))
    # padded frames add all-background frames: background IoU and F rise, class 8 predicted
    # on a black frame is counted with IoU 0
    # (a mean over 71 classes: a few times the 1e-4 agreement with the official code)
    assert padded['mIoU'] < metrics['mIoU'] - 3e-4
    assert padded['mF'] < metrics['mF'] - 3e-4
    assert padded['mIoU_present'] < metrics['mIoU_present'] - 3e-3


def test_v1s_train_like_clips_only_frame_zero_annotated():
    gen = torch.Generator().manual_seed(3)
    clips = []
    for idx in range(3):
        gt, pred, valid, padded = v1_padded_clip(gen, split='train')
        # unannotated real frames: GT all 0 (as loaded), a prediction there must not count
        gt[1:5] = 0
        pred[1:5] = 61
        clips.append(dict(idx=idx, subset='v1s', gt=gt, pred=pred, valid=valid,
                          padded=padded))
    for evaluate_padded in (True, False):
        metrics = run_metric(to_samples(clips, split='train'),
                             evaluate_padded=evaluate_padded)
        miou, mean_f = official_on(clips, evaluate_padded)
        assert metrics['mIoU'] == pytest.approx(miou, abs=1e-4)
        assert metrics['mF'] == pytest.approx(mean_f, abs=1e-4)
        assert metrics['frames'] == 3 * (6 if evaluate_padded else 1)


def test_empty_frames_unseen_classes_and_present_means():
    gt = torch.zeros(3, H, W, dtype=torch.long)
    pred = torch.zeros(3, H, W, dtype=torch.long)
    gt[1, :2] = 9  # class 9 labelled on frame 1 (10 pixels), half found
    pred[1, 0] = 9
    pred[2, 3] = 30  # class 30 only predicted (5 pixels, never labelled)
    metrics = run_metric([make_sample(0, gt, pred)])
    miou, mean_f = official_test([(pred, gt)])
    assert metrics['mIoU'] == pytest.approx(miou, abs=1e-4)
    assert metrics['mF'] == pytest.approx(mean_f, abs=1e-4)
    # classes counted: background (3 frames), 9 (1) and 30 (1)
    bg_iou = (1 + 10 / 15 + 15 / 20) / 3
    iou_9 = 5 / 10
    assert metrics['mIoU_present'] == pytest.approx((bg_iou + iou_9 + 0) / 3, abs=1e-9)
    assert metrics['mIoU'] == pytest.approx((bg_iou + iou_9) / K, abs=1e-9)
    f_9 = 1.3 * 1 * 0.5 / (0.3 + 0.5)
    assert metrics['mF_present'] * 3 == pytest.approx(metrics['mF'] * K, abs=1e-9)
    summary = summarize_classes(*[frame_class_stats(pred, gt, K)[k]
                                  for k in ('iou_sum', 'f_sum', 'count')])
    assert summary['fscore'][9] == pytest.approx(f_9)
    assert summary['count'][0] == 3 and summary['count'][30] == 1
    assert sum(c > 0 for c in summary['count']) == 3


def test_all_background_everywhere():
    gt = torch.zeros(2, H, W, dtype=torch.long)
    metrics = run_metric([make_sample(0, gt, gt.clone())])
    assert metrics['mIoU'] == pytest.approx(1 / K) == pytest.approx(official_test([(gt, gt)])[0])
    assert metrics['mIoU_present'] == metrics['mF_present'] == 1.0


def test_clip_without_evaluated_frames(monkeypatch):
    logged = []
    monkeypatch.setattr('projects.transavs.evaluation.avss_metric.print_log',
                        lambda msg, *args, **kwargs: logged.append(msg))
    gt = torch.zeros(2, H, W, dtype=torch.long)
    sample = make_sample(0, gt, gt + 3, valid=[False, False], padded=[False, True])
    metrics = run_metric([sample], evaluate_padded=False)
    assert metrics == dict(mIoU=0.0, mF=0.0, mIoU_present=0.0, mF_present=0.0, frames=0.0)
    assert any('no frame was evaluated' in str(msg) for msg in logged)
    assert run_metric([sample])['frames'] == 1.0  # the padded frame


# ---------------------------------------------------------------- processes and duplicates
def test_process_count_and_padding_duplicates_do_not_matter():
    samples = to_samples(dataset())
    reference = run_metric(samples)

    def results(subset_samples):
        metric = AVSSMetric(num_classes=K)
        metric.process({}, [s.to_dict() for s in subset_samples])
        return metric.results

    # two "processes"; the distributed sampler pads each with a repeated clip
    first = results(samples[0::2] + [samples[0]])
    second = results(samples[1::2] + [samples[1]])
    metric = AVSSMetric(num_classes=K)
    assert metric.compute_metrics(first + second) == reference
    assert metric.compute_metrics(second + first) == reference
    shuffled = samples + [samples[3], samples[5]]
    random.Random(0).shuffle(shuffled)
    assert run_metric(shuffled, chunks=3) == reference


def test_per_subset_metrics_and_tables(monkeypatch):
    logged = []
    monkeypatch.setattr('projects.transavs.evaluation.avss_metric.print_log',
                        lambda msg, *args, **kwargs: logged.append(msg))
    clips = dataset()
    metric = AVSSMetric()
    metric.dataset_meta = dict(classes=AVSS_CLASSES)
    metric.process({}, [s.to_dict() for s in to_samples(clips)])
    metrics = metric.compute_metrics(metric.results)
    assert set(metrics) == {'mIoU', 'mF', 'mIoU_present', 'mF_present', 'frames', 'v1m/mIoU',
                            'v1m/mF', 'v1s/mIoU', 'v1s/mF', 'v2/mIoU', 'v2/mF'}
    for subset in ('v1m', 'v1s', 'v2'):
        members = [c for c in clips if c['subset'] == subset]
        miou, mean_f = official_on(members)
        assert metrics[f'{subset}/mIoU'] == pytest.approx(miou, abs=1e-4)
        assert metrics[f'{subset}/mF'] == pytest.approx(mean_f, abs=1e-4)
    text = '\n'.join(logged)
    # classes named from dataset_meta; only classes counted at least once
    for k in (0, 3, 17, 70, 5, 42, 8, 61, 12):
        assert f'| {AVSS_CLASSES[k]} ' in text
    assert '| accordion ' not in text  # class 1 never seen
    assert '| v1m ' in text and '| v2 ' in text and '| all ' in text


def test_in_an_evaluator_with_dataset_classes():
    evaluator = Evaluator([METRICS.build(dict(type='AVSSMetric'))])
    evaluator.dataset_meta = dict(classes=AVSS_CLASSES)
    clips = dataset()
    evaluator.process(to_samples(clips), data_batch={})
    metrics = evaluator.evaluate(len(clips))
    assert metrics['mIoU'] == pytest.approx(official_on(clips)[0], abs=1e-4)


# ---------------------------------------------------------------- prediction PNGs
def test_output_dir_writes_real_frames_as_palette_pngs(tmp_path):
    clips = dataset()
    clips[5]['valid'][1:5] = [False] * 4  # v1s train-like: frames 1-4 unannotated
    samples = to_samples(clips)
    out = tmp_path / 'pred'
    run_metric(samples, output_dir=str(out), keep_results=True)
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob('*.png'))
    expected = sorted(rel for s in samples for rel in s.mask_rel_paths if rel is not None)
    assert written == expected
    assert len(written) == 3 * 10 + 2 * 5 + 1  # no padded, no unannotated frame
    palette = bit_palette(K)
    for sample in samples:
        for i, rel in enumerate(sample.mask_rel_paths):
            if rel is not None:
                labels = read_palette_png(str(out / rel), palette)
                np.testing.assert_array_equal(labels, sample.pred_sem_seg.data[i].numpy())
    assert not list(out.rglob('*.tmp'))


def test_padded_frames_are_not_written_even_with_a_path(tmp_path):
    gen = torch.Generator().manual_seed(1)
    gt, pred, valid, padded = v1_padded_clip(gen)
    sample = make_sample(0, gt, pred, 'v1m', 'test', valid, padded)
    sample.set_metainfo(dict(mask_rel_paths=[f'v1m/c/labels_rgb/{i}.png' for i in range(10)]))
    run_metric([sample], output_dir=str(tmp_path))
    assert sorted(p.name for p in tmp_path.rglob('*.png')) == [f'{i}.png' for i in range(5)]


# ---------------------------------------------------------------- errors and options
def test_labels_outside_the_classes_are_errors():
    gt = torch.zeros(1, H, W, dtype=torch.long)
    pred = gt.clone()
    pred[0, 0, 0] = K
    with pytest.raises(ValueError, match=r'prediction holds class indices in \[0, 71\]; '
                       r'expected \[0, 70\]'):
        frame_class_stats(pred, gt, K)
    gt[0, 1, 1] = 255
    with pytest.raises(ValueError, match=r'ground truth holds class indices in \[0, 255\]'):
        frame_class_stats(gt.clone() * 0, gt, K)
    with pytest.raises(ValueError, match=r'v2_0.*ground truth .*\[0, 255\]'):
        run_metric([make_sample(0, gt, gt * 0)])
    with pytest.raises(ValueError, match='integer'):
        frame_class_stats(gt.float(), gt, K)


def test_explicit_ignore_index():
    gt = torch.zeros(1, H, W, dtype=torch.long)
    gt[0, :2] = 255  # ignored pixels: their prediction (class 4) does not count
    gt[0, 3, :2] = 7
    pred = torch.full_like(gt, 4)
    pred[0, 2:] = gt[0, 2:]
    stats = frame_class_stats(pred, gt, K, ignore_index=255)
    reference = frame_class_stats(pred[:, 2:], gt[:, 2:], K)
    for key in ('iou_sum', 'f_sum', 'count'):
        assert torch.equal(stats[key], reference[key])
    metrics = run_metric([make_sample(0, gt, pred)], ignore_index=255)
    assert metrics['mIoU'] == pytest.approx(2 / K)


def test_configuration_errors():
    sample = make_sample(0, torch.zeros(2, H, W), torch.zeros(2, H, W)).to_dict()
    with pytest.raises(ValueError, match='number of classes is unknown'):
        AVSSMetric().process({}, [sample])
    metric = AVSSMetric(num_classes=5)
    metric.dataset_meta = dict(classes=AVSS_CLASSES)
    with pytest.raises(ValueError, match='num_classes=5 but the dataset has 71'):
        metric.process({}, [sample])
    bad = make_sample(0, torch.zeros(2, H, W), torch.zeros(2, H, W), padded=[True])
    with pytest.raises(ValueError, match='frame_padded has 1 entries for 2 frames'):
        AVSSMetric(num_classes=K).process({}, [bad.to_dict()])
    wrong = make_sample(0, torch.zeros(2, H, W), torch.zeros(2, H, 3))
    with pytest.raises(ValueError, match='ground-truth size'):
        AVSSMetric(num_classes=K).process({}, [wrong.to_dict()])
