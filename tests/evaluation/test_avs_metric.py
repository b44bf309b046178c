"""Tests of AVSMetric on tiny hand-computed clips."""
import random

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.registry import METRICS
from PIL import Image

import projects.transavs  # noqa: F401  (registers AVSMetric)
from projects.transavs.evaluation import AVSMetric, evaluate_mask_folders
from projects.transavs.structures import AVSDataSample


def F(p, r):
    """F-score with beta^2 = 0.3."""
    return 1.3 * p * r / (0.3 * p + r)


# 1x4 frames (ground truth, binary probability). With probabilities in {0, 1}, threshold 0
# predicts every pixel and all other thresholds predict the pixels at 1.
A = ([1, 1, 0, 0], [1, 0, 0, 0])  # J 1/2; F: all pixels (P 1/2, R 1), binary (P 1, R 1/2)
B = ([1, 0, 0, 0], [1, 1, 0, 0])  # J 1/2; F: all (P 1/4, R 1), binary (P 1/2, R 1)
C = ([0, 0, 0, 0], [1, 0, 0, 0])  # empty GT: J = 3 true negatives / 4; no F
D = ([0, 1, 1, 1], [0, 1, 1, 1])  # J 1; F: all (P 3/4, R 1), binary (P 1, R 1)
E = ([0, 0, 0, 0], [1, 1, 1, 1])  # unannotated (gt_valid False): ignored; would score J 0

CURVE = {  # (F at threshold 0, F at every other threshold)
    'A': (F(0.5, 1), F(1, 0.5)),
    'B': (F(0.25, 1), F(0.5, 1)),
    'D': (F(0.75, 1), F(1, 1)),
}
# Clip k holds the frames below; clip 0's second frame is unannotated, clip 3 has only empty GT.
CLIPS = [('AE', [True, False]), ('BC', [True, True]), ('DC', [True, True]),
         ('CC', [True, True])]
FRAMES = dict(A=A, B=B, C=C, D=D, E=E)
MJ = (0.5 + 0.5 + 0.75 + 1 + 0.75 + 0.75 + 0.75) / 7


def best(*names):
    """Max over thresholds of the mean curve of the named frames."""
    return max(np.mean([CURVE[n][0] for n in names]), np.mean([CURVE[n][1] for n in names]))


def make_sample(idx, frames='AE', valid=(True, False), subset='s4', category='dog',
                probs=None):
    gt = torch.tensor([[FRAMES[f][0]] for f in frames], dtype=torch.uint8)  # [T, 1, 4]
    prob = torch.tensor([[FRAMES[f][1]] for f in frames], dtype=torch.float32)
    if probs is not None:
        prob = probs
    name = f'vid{idx}'
    folder = f'{category}/{name}' if category else name
    sample = AVSDataSample(metainfo=dict(
        sample_idx=idx, subset=subset, category=category, video_name=name,
        gt_valid=list(valid),
        mask_rel_paths=[f'{folder}/{name}_{i + 1}.png' if v else None
                        for i, v in enumerate(valid)]))
    sample.gt_sem_seg = PixelData(data=gt)
    sample.pred_fg_prob = PixelData(data=prob)
    return sample


def samples(**kwargs):
    return [make_sample(i, f, v, **kwargs) for i, (f, v) in enumerate(CLIPS)]


def run_metric(data_samples, chunks=1, **cfg):
    metric = AVSMetric(**cfg)
    dicts = [s.to_dict() for s in data_samples]
    step = max(1, len(dicts) // chunks)
    for start in range(0, len(dicts), step):
        metric.process({}, dicts[start:start + step])
    return metric.compute_metrics(metric.results)


def test_registered_and_runs_in_an_evaluator():
    evaluator = Evaluator([METRICS.build(dict(type='AVSMetric', fscore_batch_videos=2))])
    evaluator.process(samples(), data_batch={})
    metrics = evaluator.evaluate(len(CLIPS))
    assert metrics['mJ'] == pytest.approx(MJ, abs=1e-6)
    assert metrics['frames'] == 7


def test_hand_computed_values_batch_two():
    metrics = run_metric(samples(), fscore_batch_videos=2)
    assert metrics['frames'] == 7  # the unannotated frame E is not evaluated
    assert metrics['mJ'] == pytest.approx(MJ, abs=1e-6)
    # batches {clip 0, clip 1} -> frames A, B; {clip 2, clip 3} -> D (C has empty GT).
    assert metrics['mF'] == pytest.approx((best('A', 'B') + best('D')) / 2, abs=1e-6)
    assert metrics['mF'] == pytest.approx(((F(1, 0.5) + F(0.5, 1)) / 2 + 1) / 2, abs=1e-6)
    assert metrics['mF_dataset'] == pytest.approx(best('A', 'B', 'D'), abs=1e-6)
    assert metrics['mF_dataset'] == pytest.approx((F(1, 0.5) + F(0.5, 1) + 1) / 3, abs=1e-6)
    assert set(metrics) == {'mJ', 'mF', 'mF_dataset', 'frames'}  # one subset


def test_unannotated_frame_is_ignored():
    # Frame E of clip 0 would score J = 0; marking it annotated changes mJ.
    annotated = [make_sample(0, 'AE', (True, True))] + samples()[1:]
    assert run_metric(annotated)['mJ'] == pytest.approx((MJ * 7 + 0) / 8, abs=1e-6)
    assert run_metric(annotated)['frames'] == 8


@pytest.mark.parametrize('batch,expected', [
    (1, (F(1, 0.5) + F(0.5, 1) + 1 + 0) / 4),  # clip 3 has no non-empty frame: scores 0
    (3, (best('A', 'B', 'D') + 0) / 2),
    (4, best('A', 'B', 'D')),
])
def test_official_mf_depends_on_batch_but_dataset_mf_does_not(batch, expected):
    metrics = run_metric(samples(), fscore_batch_videos=batch)
    assert metrics['mF'] == pytest.approx(expected, abs=1e-6)
    assert metrics['mF_dataset'] == pytest.approx(best('A', 'B', 'D'), abs=1e-6)
    assert metrics['mJ'] == pytest.approx(MJ, abs=1e-6)


def test_order_and_duplicates_do_not_matter():
    reference = run_metric(samples(), fscore_batch_videos=2)
    shuffled = samples()
    shuffled += [shuffled[0], shuffled[2]]  # a distributed sampler's padding
    random.Random(0).shuffle(shuffled)
    assert run_metric(shuffled, chunks=3, fscore_batch_videos=2) == reference


def test_per_subset_metrics_and_tables(monkeypatch):
    logged = []
    monkeypatch.setattr('projects.transavs.evaluation.avs_metric.print_log',
                        lambda msg, *args, **kwargs: logged.append(msg))
    data = samples()
    for sample in data[2:]:  # clips 2, 3: MS3 (no category)
        sample.set_metainfo(dict(subset='ms3', category=None))
    data[1].set_metainfo(dict(category='cat'))
    metrics = run_metric(data, fscore_batch_videos=1)
    assert metrics['s4/mJ'] == pytest.approx((0.5 + 0.5 + 0.75) / 3, abs=1e-6)
    assert metrics['s4/mF'] == pytest.approx((F(1, 0.5) + F(0.5, 1)) / 2, abs=1e-6)
    assert metrics['s4/mF_dataset'] == pytest.approx(best('A', 'B'), abs=1e-6)
    assert metrics['ms3/mJ'] == pytest.approx((1 + 0.75 * 3) / 4, abs=1e-6)
    assert metrics['ms3/mF'] == pytest.approx((1 + 0) / 2, abs=1e-6)
    assert metrics['ms3/mF_dataset'] == pytest.approx(1.0, abs=1e-6)
    assert metrics['mJ'] == pytest.approx(MJ, abs=1e-6)
    text = '\n'.join(logged)
    assert 'Category' in text and '| cat ' in text and '| dog ' in text
    assert '| ms3 ' in text and '| s4 ' in text and '| all ' in text


def test_output_dir_pngs_score_the_same_with_evaluate_masks(tmp_path):
    gen = torch.Generator().manual_seed(0)
    data = []
    for i, (frames, valid) in enumerate(CLIPS):
        gt = (torch.rand(2, 6, 5, generator=gen) < 0.4).to(torch.uint8)
        prob = torch.rand(2, 6, 5, generator=gen)
        sample = make_sample(i, frames, valid, probs=prob)
        sample.gt_sem_seg = PixelData(data=gt)
        data.append(sample)
        for t, rel in enumerate(sample.mask_rel_paths):  # the ground-truth tree
            if rel is not None:
                (tmp_path / 'gt' / rel).parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(gt[t].numpy() * 255).save(tmp_path / 'gt' / rel)
    out = tmp_path / 'pred'
    metrics = run_metric(data, output_dir=str(out), keep_results=True)  # as mmseg's --out
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob('*.png'))
    assert written == sorted(p.relative_to(tmp_path / 'gt').as_posix()
                             for p in (tmp_path / 'gt').rglob('*.png'))
    assert 'dog/vid0/vid0_2.png' not in written  # the unannotated frame
    scores = evaluate_mask_folders(str(out), str(tmp_path / 'gt'))
    assert scores['frames'] == metrics['frames'] == 7
    assert scores['mJ'] == pytest.approx(metrics['mJ'], abs=1e-7)  # binary prediction exact
    assert scores['mF_dataset'] == pytest.approx(metrics['mF_dataset'], abs=0.02)


def test_errors_name_the_problem(tmp_path):
    sample = make_sample(0)
    sample.pred_fg_prob = PixelData(data=torch.zeros(2, 1, 3))
    with pytest.raises(ValueError, match='vid0.*ground-truth size'):
        AVSMetric().process({}, [sample.to_dict()])
    bad_valid = make_sample(0, valid=(True, ))
    bad_valid.set_metainfo(dict(mask_rel_paths=[None, None]))
    with pytest.raises(ValueError, match='gt_valid has 1 entries for 2 frames'):
        AVSMetric().process({}, [bad_valid.to_dict()])
    no_index = make_sample(0).to_dict()
    del no_index['sample_idx']
    with pytest.raises(KeyError, match='sample_idx'):
        AVSMetric().process({}, [no_index])
    escaping = make_sample(0)
    escaping.set_metainfo(dict(mask_rel_paths=['../x.png', None]))
    with pytest.raises(ValueError, match='inside the mask folder'):
        AVSMetric(output_dir=str(tmp_path / 'out')).process({}, [escaping.to_dict()])
    assert not (tmp_path / 'x.png').exists()
    with pytest.raises(ValueError, match='fscore_batch_videos'):
        AVSMetric(fscore_batch_videos=0)


def test_concatenated_datasets_keep_every_clip():
    """sample_idx restarts in each dataset of a ConcatDataset: no clip may be dropped."""
    s4 = [make_sample(i, f, v) for i, (f, v) in enumerate(CLIPS[:2])]
    ms3 = [make_sample(i, f, v, subset='ms3', category=None)
           for i, (f, v) in enumerate(CLIPS[2:])]
    metrics = run_metric(s4 + ms3, fscore_batch_videos=2)
    assert metrics['frames'] == 7
    assert metrics['mJ'] == pytest.approx(MJ, abs=1e-6)
    assert metrics['ms3/mJ'] == pytest.approx((1 + 0.75 * 3) / 4, abs=1e-6)
