"""tools/evaluate_masks.py run as a user runs it: its flags reach ``evaluate_mask_folders``
(tested in tests/evaluation/test_mask_folders.py), the table and the JSON file."""
import json

import numpy as np
import pytest
from PIL import Image
from tool_runs import run_tool

from projects.transavs.evaluation import evaluate_mask_folders


def save(path, values):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.array([values], np.uint8)).save(path)


def test_runs_as_a_script(tmp_path):
    gt, pred = tmp_path / 'gt', tmp_path / 'pred'
    for rel, g, p in (('dog/a/a_1.png', [255, 255, 0, 0], [255, 0, 0, 0]),
                      ('dog/b/b_1.png', [255, 0, 0, 0], [255, 255, 0, 0]),
                      ('cat/c/c_1.png', [0, 255, 255, 255], [0, 255, 255, 255])):
        save(gt / rel, g)
        save(pred / rel, p)
    (pred / 'cat' / 'c' / 'c_1.png').unlink()  # --missing zero: an empty prediction
    out = tmp_path / 'res' / 'scores.json'
    proc = run_tool(['evaluate_masks.py', '--pred', str(pred), '--gt', str(gt),
                     '--fscore-batch-videos', '2', '--missing', 'zero', '--json', str(out)],
                    cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = evaluate_mask_folders(str(pred), str(gt), 2, 'zero')
    assert expected['mJ'] == pytest.approx((0.5 + 0.5 + 0) / 3, abs=1e-6)
    assert json.loads(out.read_text()) == pytest.approx(expected)
    assert 'mF (batches of 2)' in proc.stdout and 'mF_dataset' in proc.stdout
    assert f'{expected["mJ"]:.4f}' in proc.stdout and f'{expected["mF"]:.4f}' in proc.stdout
