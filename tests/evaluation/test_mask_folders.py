"""Scoring folders of prediction PNGs against ground-truth masks
(``projects.transavs.evaluation.evaluate_mask_folders``) on tiny trees."""
import numpy as np
import pytest
from PIL import Image

from projects.transavs.evaluation import evaluate_mask_folders, find_clips
from projects.transavs.utils import natural_key


def F(p, r):
    """F-score with beta^2 = 0.3."""
    return 1.3 * p * r / (0.3 * p + r)


def save(path, values):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.array([values], np.uint8)).save(path)


@pytest.fixture
def tree(tmp_path):
    """Three 1x4 clips (S4 layout) with one frame each, plus an empty-GT frame in clip b.

    a: GT [1,1,0,0], pred [1,0,0,0] -> J 1/2, best F = F(1, 1/2) (only the 255 pixels)
    b: GT [1,0,0,0], pred [1,1,0,0] -> J 1/2, best F = F(1/2, 1);
       b_2: empty GT, pred [1,0,0,0] -> J 3/4, no F
    c: GT [0,1,1,1], pred = GT     -> J 1, best F = 1
    """
    gt, pred = tmp_path / 'gt', tmp_path / 'pred'
    frames = {
        'dog/a/a_1.png': ([255, 255, 0, 0], [255, 0, 0, 0]),
        'dog/b/b_1.png': ([255, 0, 0, 0], [255, 255, 0, 0]),
        'dog/b/b_2.png': ([0, 0, 0, 0], [255, 0, 0, 0]),
        'guitar/c/c_1.png': ([0, 255, 255, 255], [0, 255, 255, 255]),
    }
    for rel, (g, p) in frames.items():
        save(gt / rel, g)
        save(pred / rel, p)
    return gt, pred


def test_scores(tree):
    gt, pred = tree
    scores = evaluate_mask_folders(str(pred), str(gt), fscore_batch_videos=2)
    assert scores['frames'] == 4
    assert scores['mJ'] == pytest.approx((0.5 + 0.5 + 0.75 + 1) / 4, abs=1e-6)
    # Batches in sorted folder order: {dog/a, dog/b} and {guitar/c}. For A and B the
    # binary threshold (any > 0) beats threshold 0 (every pixel predicted).
    ab = (F(1, 0.5) + F(0.5, 1)) / 2
    assert scores['mF'] == pytest.approx((ab + 1) / 2, abs=1e-6)
    assert scores['mF_dataset'] == pytest.approx((F(1, 0.5) + F(0.5, 1) + 1) / 3, abs=1e-6)
    assert set(scores) == {'mJ', 'mF', 'mF_dataset', 'frames', 'missing'}
    # One batch holding all clips: the official mF equals the dataset value.
    single = evaluate_mask_folders(str(pred), str(gt), fscore_batch_videos=3)
    assert single['mF'] == pytest.approx(scores['mF_dataset'], abs=1e-6)


def test_missing_prediction_is_an_error_or_zero(tree):
    gt, pred = tree
    (pred / 'dog' / 'b' / 'b_2.png').unlink()
    with pytest.raises(FileNotFoundError) as info:
        evaluate_mask_folders(str(pred), str(gt))
    assert str(gt / 'dog' / 'b' / 'b_2.png') in str(info.value)
    assert str(pred / 'dog' / 'b' / 'b_2.png') in str(info.value)
    # As all-zero probability: the empty-GT frame b_2 becomes all true negatives (J 1).
    scores = evaluate_mask_folders(str(pred), str(gt), missing='zero')
    assert scores['mJ'] == pytest.approx((0.5 + 0.5 + 1 + 1) / 4, abs=1e-6)
    (pred / 'guitar' / 'c' / 'c_1.png').unlink()  # non-empty GT, nothing predicted: J 0
    scores = evaluate_mask_folders(str(pred), str(gt), missing='zero')
    assert scores['mJ'] == pytest.approx((0.5 + 0.5 + 1 + 0) / 4, abs=1e-6)


def test_size_mismatch_names_both_files(tree):
    gt, pred = tree
    Image.fromarray(np.zeros((2, 4), np.uint8)).save(pred / 'dog' / 'a' / 'a_1.png')
    with pytest.raises(ValueError, match='size mismatch') as info:
        evaluate_mask_folders(str(pred), str(gt))
    assert str(pred / 'dog' / 'a' / 'a_1.png') in str(info.value)
    assert str(gt / 'dog' / 'a' / 'a_1.png') in str(info.value)


def test_empty_or_missing_folders(tmp_path):
    (tmp_path / 'gt').mkdir()
    (tmp_path / 'pred').mkdir()
    with pytest.raises(FileNotFoundError, match='no ground-truth PNG'):
        evaluate_mask_folders(str(tmp_path / 'pred'), str(tmp_path / 'gt'))
    with pytest.raises(FileNotFoundError, match='--gt folder not found'):
        evaluate_mask_folders(str(tmp_path / 'pred'), str(tmp_path / 'nope'))
    with pytest.raises(FileNotFoundError, match='--pred folder not found'):
        evaluate_mask_folders(str(tmp_path / 'nope'), str(tmp_path / 'gt'))


def test_natural_order_of_frames_and_sorted_folders(tmp_path):
    for rel in ['vid2/vid2_1.png', 'vid1/vid1_10.png', 'vid1/vid1_9.png', 'vid1/vid1_1.png',
                'vid1/vid1_2.png']:
        save(tmp_path / rel, [0])
    assert find_clips(str(tmp_path)) == [
        ('vid1', ['vid1/vid1_1.png', 'vid1/vid1_2.png', 'vid1/vid1_9.png',
                  'vid1/vid1_10.png']),
        ('vid2', ['vid2/vid2_1.png']),
    ]
    names = ['x_10.png', 'x_2.png', 'x_1.png']
    assert sorted(names, key=natural_key) == ['x_1.png', 'x_2.png', 'x_10.png']
