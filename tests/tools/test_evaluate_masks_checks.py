"""tools/evaluate_masks.py (``--task avs``): 0/1 masks stop it with one error line, and the
number of missing predictions is printed and written to ``--json``."""
import json

import numpy as np
from PIL import Image
from tool_runs import run_tool


def save(path, values):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.array([values], np.uint8)).save(path)


def test_zero_one_masks_and_missing_count(tmp_path):
    gt, pred = tmp_path / 'gt', tmp_path / 'pred'
    for rel, g in (('dog/a/a_1.png', [255, 255, 0, 0]), ('dog/b/b_1.png', [255, 0, 0, 0]),
                   ('cat/c/c_1.png', [0, 255, 255, 255])):
        save(gt / rel, g)
        save(pred / rel, [v // 255 for v in g])
    args = ['evaluate_masks.py', '--pred', str(pred), '--gt', str(gt)]
    proc = run_tool(args, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('evaluate_masks.py: error: ')
    assert 'look like 0/1 masks, not probability x 255' in lines[0]
    assert 'multiply it by 255' in lines[0]

    for path in pred.rglob('*.png'):  # fixed: x 255
        save(path, list(np.asarray(Image.open(path))[0] * 255))
    (pred / 'cat' / 'c' / 'c_1.png').unlink()
    out = tmp_path / 'scores.json'
    proc = run_tool(args + ['--missing', 'zero', '--json', str(out)], cwd=tmp_path,
                    timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(out.read_text())['missing'] == 1
    header, values = [line for line in proc.stdout.splitlines() if line.startswith('|')]
    cells = dict(zip([c.strip() for c in header.split('|')[1:-1]],
                     [c.strip() for c in values.split('|')[1:-1]]))
    assert cells['Missing'] == '1' and cells['Frames'] == '3'
