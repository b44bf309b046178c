"""``evaluate_mask_folders`` refuses 0/1 masks given as predictions and counts the missing
predictions of ``missing='zero'``."""
import numpy as np
import pytest
from PIL import Image

from projects.transavs.evaluation import evaluate_mask_folders


def save(path, values):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.array([values], np.uint8)).save(path)


@pytest.fixture
def gt(tmp_path):
    frames = {'dog/a/a_1.png': [255, 255, 0, 0], 'dog/a/a_2.png': [0, 0, 0, 0],
              'cat/b/b_1.png': [0, 255, 255, 255]}
    for rel, values in frames.items():
        save(tmp_path / 'gt' / rel, values)
    return tmp_path / 'gt', frames


def write_preds(root, frames, scale):
    for rel, values in frames.items():
        save(root / rel, [v // 255 * scale for v in values])


def test_zero_one_masks_are_refused(tmp_path, gt):
    gt_dir, frames = gt
    pred = tmp_path / 'pred'
    write_preds(pred, frames, 1)  # a perfect prediction, stored as 0/1
    with pytest.raises(ValueError) as info:
        evaluate_mask_folders(str(pred), str(gt_dir))
    message = str(info.value)
    assert 'look like 0/1 masks, not probability x 255' in message
    assert '2 of 3 hold 1' in message and str(pred) in message
    assert 'multiply it by 255' in message
    write_preds(pred, frames, 255)  # the same masks x 255: a perfect score
    assert evaluate_mask_folders(str(pred), str(gt_dir))['mJ'] == pytest.approx(1.0)


def test_low_probabilities_and_empty_predictions_are_accepted(tmp_path, gt):
    gt_dir, frames = gt
    pred = tmp_path / 'pred'
    write_preds(pred, frames, 0)  # all zero: nothing predicted, a valid (bad) prediction
    assert evaluate_mask_folders(str(pred), str(gt_dir))['mJ'] == pytest.approx(1 / 3)
    write_preds(pred, frames, 1)
    save(pred / 'cat' / 'b' / 'b_1.png', [0, 2, 1, 1])  # one value above 1: probabilities
    assert evaluate_mask_folders(str(pred), str(gt_dir))['frames'] == 3


def test_missing_count(tmp_path, gt):
    gt_dir, frames = gt
    pred = tmp_path / 'pred'
    write_preds(pred, frames, 255)
    assert evaluate_mask_folders(str(pred), str(gt_dir))['missing'] == 0
    (pred / 'dog' / 'a' / 'a_2.png').unlink()
    (pred / 'cat' / 'b' / 'b_1.png').unlink()
    scores = evaluate_mask_folders(str(pred), str(gt_dir), missing='zero')
    assert scores['missing'] == 2 and scores['frames'] == 3
