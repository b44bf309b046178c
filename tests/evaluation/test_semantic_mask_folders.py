"""Scoring folders of AVSBench-semantic palette PNGs (``evaluate_semantic_folders``), the
palette PNG I/O and ``tools/evaluate_masks.py --task avss``, on tiny generated trees."""
import json

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from PIL import Image
from tool_runs import run_tool

from projects.transavs.datasets.avsbench_semantic_layout import label_rel_path
from projects.transavs.datasets.semantic_palette import AVSS_CLASSES, bit_palette
from projects.transavs.evaluation import (
    AVSSMetric,
    evaluate_semantic_folders,
    find_semantic_labels,
    read_palette_png,
    write_palette_png,
)
from projects.transavs.structures import AVSDataSample

K = len(AVSS_CLASSES)
PALETTE = bit_palette(K)
H, W = 4, 6
#: (subset, uid, real frames, annotated real frames)
CLIPS = [('v2', 'clipA', 10, 10), ('v2', 'clipB', 10, 10), ('v1m', 'clipC', 5, 5),
         ('v1s', 'clipD', 5, 5)]


def label_index(tmp_path):
    """A label2idx.json as the release's: names -> 1-based indices, in class order."""
    path = tmp_path / 'label2idx.json'
    path.write_text(json.dumps({name: i + 1 for i, name in enumerate(AVSS_CLASSES)}))
    return str(path)


@pytest.fixture
def tree(tmp_path):
    """A release-like label tree, the data samples of its clips (v1 padded to 10 frames) and
    an AVSSMetric prediction folder written from them."""
    gen = torch.Generator().manual_seed(0)
    classes = torch.tensor([0, 2, 19, 47, 70])
    samples = []
    for idx, (subset, uid, real, _) in enumerate(CLIPS):
        gt = torch.zeros(10, H, W, dtype=torch.uint8)
        gt[:real] = classes[torch.randint(len(classes), (real, H, W), generator=gen)]
        pred = gt.clone()
        flip = torch.rand(10, H, W, generator=gen) < 0.3
        pred[flip] = torch.tensor([0, 2, 33], dtype=torch.uint8)[
            torch.randint(3, (10, H, W), generator=gen)][flip]
        pred[real:] = 0
        pred[9, 0] = 33 if real < 10 else pred[9, 0]  # a prediction on a padded frame
        rel = [label_rel_path(subset, uid, i) if i < real else None for i in range(10)]
        sample = AVSDataSample(metainfo=dict(
            sample_idx=idx, subset=subset, split='test', video_name=uid,
            gt_valid=[i < real for i in range(10)], frame_padded=[i >= real for i in range(10)],
            mask_rel_paths=rel))
        sample.gt_sem_seg = PixelData(data=gt)
        sample.pred_sem_seg = PixelData(data=pred)
        samples.append(sample)
        for i in range(real):
            write_palette_png(str(tmp_path / 'gt' / rel[i]), gt[i], PALETTE)
    # other files of the release are not labels
    (tmp_path / 'gt' / 'v2' / 'clipA' / 'frames').mkdir()
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(tmp_path / 'gt' / 'v2' / 'clipA' /
                                                        'frames' / '0.png')
    metric = AVSSMetric(num_classes=K, output_dir=str(tmp_path / 'pred'))
    metric.process({}, [s.to_dict() for s in samples])
    return tmp_path / 'gt', tmp_path / 'pred', samples


def metric_scores(samples, **cfg):
    metric = AVSSMetric(num_classes=K, **cfg)
    metric.process({}, [s.to_dict() for s in samples])
    return metric.compute_metrics(metric.results)


def test_palette_png_round_trip(tmp_path):
    labels = np.arange(H * W * 3, dtype=np.uint8).reshape(3 * H, W) % K
    path = tmp_path / 'a' / 'b.png'
    write_palette_png(str(path), torch.from_numpy(labels), PALETTE)
    with Image.open(path) as image:
        assert image.mode == 'RGB'
    np.testing.assert_array_equal(read_palette_png(str(path), PALETTE), labels)
    assert not list(tmp_path.rglob('*.tmp'))
    with pytest.raises(ValueError, match='do not fit the 71-entry palette'):
        write_palette_png(str(tmp_path / 'c.png'), np.full((2, 2), K), PALETTE)
    Image.fromarray(labels).save(tmp_path / 'grey.png')  # class indices, not colours
    with pytest.raises(ValueError, match=r'grey\.png.*RGB palette'):
        read_palette_png(str(tmp_path / 'grey.png'), PALETTE)
    with pytest.raises(FileNotFoundError, match='missing.png'):
        read_palette_png(str(tmp_path / 'missing.png'), PALETTE)


def test_equals_the_metric_on_real_frames(tree, tmp_path):
    gt, pred, samples = tree
    assert len(find_semantic_labels(str(gt))) == 10 + 10 + 5 + 5
    scores = evaluate_semantic_folders(str(pred), str(gt), label_index(tmp_path))
    real = metric_scores(samples, evaluate_padded=False)
    for key in ('mIoU', 'mF', 'mIoU_present', 'mF_present', 'frames'):
        assert scores[key] == pytest.approx(real[key], abs=1e-12)
    assert scores['frames'] == 30 and scores['missing'] == 0
    assert [row['class'] for row in scores['per_class']] == list(AVSS_CLASSES)
    assert np.mean([row['iou'] for row in scores['per_class']]) == pytest.approx(scores['mIoU'])
    counted = {row['class'] for row in scores['per_class'] if row['frames'] > 0}
    assert counted == {AVSS_CLASSES[k] for k in (0, 2, 19, 47, 70, 33)}
    # the official value (padded frames evaluated) differs: folders hold real frames only
    assert metric_scores(samples)['mIoU'] != pytest.approx(scores['mIoU'], abs=1e-4)
    # a folder above the labels_rgb level scores its clips only
    sub = evaluate_semantic_folders(str(pred / 'v2'), str(gt / 'v2'), label_index(tmp_path))
    assert sub['mIoU'] == pytest.approx(metric_scores(samples[:2])['mIoU'], abs=1e-12)


def test_missing_prediction_is_an_error_or_background(tree, tmp_path):
    gt, pred, samples = tree
    index = label_index(tmp_path)
    lost = pred / label_rel_path('v1m', 'clipC', 3)
    lost.unlink()
    with pytest.raises(FileNotFoundError) as info:
        evaluate_semantic_folders(str(pred), str(gt), index)
    assert str(lost) in str(info.value)
    assert str(gt / label_rel_path('v1m', 'clipC', 3)) in str(info.value)
    scores = evaluate_semantic_folders(str(pred), str(gt), index, missing='zero')
    assert scores['missing'] == 1 and scores['frames'] == 30
    samples[2].pred_sem_seg.data[3] = 0  # the same, through the metric
    real = metric_scores(samples, evaluate_padded=False)
    assert scores['mIoU'] == pytest.approx(real['mIoU'], abs=1e-12)
    assert scores['mF'] == pytest.approx(real['mF'], abs=1e-12)


def test_size_mismatch_and_unknown_colour_name_the_files(tree, tmp_path):
    gt, pred, _ = tree
    index = label_index(tmp_path)
    rel = label_rel_path('v2', 'clipB', 0)
    write_palette_png(str(pred / rel), np.zeros((H, W + 1), np.uint8), PALETTE)
    with pytest.raises(ValueError, match='size mismatch') as info:
        evaluate_semantic_folders(str(pred), str(gt), index, resize_labels=False)
    assert str(pred / rel) in str(info.value) and str(gt / rel) in str(info.value)
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[0, 0] = (1, 2, 3)
    Image.fromarray(rgb).save(pred / rel)
    with pytest.raises(ValueError, match='not in the 71-class palette') as info:
        evaluate_semantic_folders(str(pred), str(gt), index)
    assert str(pred / rel) in str(info.value)


def test_missing_folders(tree, tmp_path):
    gt, pred, _ = tree
    index = label_index(tmp_path)
    with pytest.raises(FileNotFoundError, match='--pred folder not found'):
        evaluate_semantic_folders(str(tmp_path / 'nope'), str(gt), index)
    with pytest.raises(FileNotFoundError, match='no label PNG'):
        evaluate_semantic_folders(str(pred), str(gt / 'v2' / 'clipA' / 'frames'), index)
    with pytest.raises(FileNotFoundError, match='label index not found'):
        evaluate_semantic_folders(str(pred), str(gt), str(tmp_path / 'none.json'))


def test_cli_avss_json(tree, tmp_path):
    gt, pred, _ = tree
    index = label_index(tmp_path)
    (pred / label_rel_path('v2', 'clipA', 4)).unlink()
    out = tmp_path / 'res' / 'scores.json'
    proc = run_tool(['evaluate_masks.py', '--task', 'avss', '--pred', str(pred), '--gt',
                     str(gt), '--label-index', index, '--missing', 'zero', '--json', str(out)],
                    cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = evaluate_semantic_folders(str(pred), str(gt), index, missing='zero')
    written = json.loads(out.read_text())
    assert set(written) == {'mIoU', 'mF', 'mIoU_present', 'mF_present', 'frames', 'missing',
                            'resized_labels', 'per_class'}
    assert written['missing'] == 1 and written['frames'] == 30
    for key in ('mIoU', 'mF', 'mIoU_present', 'mF_present'):
        assert 0 <= written[key] <= 1
        assert written[key] == pytest.approx(expected[key], abs=1e-12)
        assert f'{expected[key]:.4f}' in proc.stdout
    assert written['per_class'][19] == pytest.approx(expected['per_class'][19])
    assert set(written['per_class'][0]) == {'class', 'iou', 'fscore', 'frames'}
    assert '| drum ' in proc.stdout and '| accordion ' not in proc.stdout  # counted only


def test_cli_errors_are_one_line(tree, tmp_path):
    gt, pred, _ = tree
    proc = run_tool(['evaluate_masks.py', '--task', 'avss', '--pred', str(tmp_path / 'nope'),
                     '--gt', str(gt), '--label-index', label_index(tmp_path)],
                    cwd=tmp_path, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and 'error: --pred folder not found' in lines[0]
    assert str(tmp_path / 'nope') in lines[0]
    proc = run_tool(['evaluate_masks.py', '--pred', str(pred), '--gt', str(tmp_path / 'x')],
                    cwd=tmp_path, timeout=300)  # --task avs
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f'evaluate_masks.py: error: --gt folder not found: {tmp_path / "x"}']
    proc = run_tool(['evaluate_masks.py', '--task', 'avss', '--pred', str(pred), '--gt',
                     str(gt)], cwd=tmp_path, timeout=300)
    assert proc.returncode == 2 and '--label-index' in proc.stderr


def test_split_from_the_meta_csv_and_label_resizing(tree, tmp_path):
    gt_dir, pred_dir, samples = tree
    # The release holds every split in one tree: a train clip without prediction.
    write_palette_png(str(gt_dir / label_rel_path('v2', 'clipT', 0)),
                      np.full((H, W), 2, np.uint8), PALETTE)
    rows = [('v2', 'clipA', 'test'), ('v2', 'clipB', 'test'), ('v1m', 'clipC', 'test'),
            ('v1s', 'clipD', 'test'), ('v2', 'clipT', 'train')]
    (gt_dir / 'metadata.csv').write_text(
        'vid,uid,a_obj,split,label\n' +
        ''.join(f'v_{uid},{uid},dog,{split},{subset}\n' for subset, uid, split in rows))
    index = label_index(tmp_path)
    with pytest.raises(FileNotFoundError, match='clipT'):
        evaluate_semantic_folders(str(pred_dir), str(gt_dir), index)
    scores = evaluate_semantic_folders(str(pred_dir), str(gt_dir), index, split='test')
    expected = metric_scores(samples, evaluate_padded=False)
    assert scores['frames'] == 30 and scores['resized_labels'] == 0
    assert scores['mIoU'] == pytest.approx(expected['mIoU'], abs=1e-12)
    # a --gt below the root needs the CSV given
    scores = evaluate_semantic_folders(str(pred_dir / 'v2'), str(gt_dir / 'v2'), index,
                                       split='test', meta_csv=str(gt_dir / 'metadata.csv'))
    assert scores['frames'] == 20
    with pytest.raises(FileNotFoundError, match='meta CSV not found'):
        evaluate_semantic_folders(str(pred_dir / 'v2'), str(gt_dir / 'v2'), index,
                                  split='test')
    with pytest.raises(ValueError, match="no clip of split 'val'"):
        evaluate_semantic_folders(str(pred_dir), str(gt_dir), index, split='val')

    # Labels on disk at twice the size of the predictions (the network size) are resized
    # with nearest neighbour, as the official test does, and counted.
    big = tmp_path / 'big'
    for rel in find_semantic_labels(str(gt_dir)):
        labels = read_palette_png(str(gt_dir / rel), PALETTE)
        write_palette_png(str(big / rel), np.repeat(np.repeat(labels, 2, 0), 2, 1), PALETTE)
    (big / 'metadata.csv').write_text((gt_dir / 'metadata.csv').read_text())
    resized = evaluate_semantic_folders(str(pred_dir), str(big), index, split='test')
    assert resized['resized_labels'] == 30
    assert resized['mIoU'] == pytest.approx(expected['mIoU'], abs=1e-12)
    with pytest.raises(ValueError, match='size mismatch'):
        evaluate_semantic_folders(str(pred_dir), str(big), index, split='test',
                                  resize_labels=False)
