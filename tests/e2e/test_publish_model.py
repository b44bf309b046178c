"""tools/publish_model.py: its output loads in mmseg's own tools/test.py (what `mim test` runs)."""
import hashlib
import os.path as osp
import pickle
import subprocess
import sys

import mmseg
import pytest
import torch
from tool_runs import read_test_metrics, run_tool

from projects.transavs.engine import safe_torch_load

MMSEG_TEST = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', 'test.py')


def test_mmseg_test_tool_runs_a_published_checkpoint(trained, tested, tmp_path):
    config, work_dir, _ = trained
    training_ckpt = osp.join(work_dir, 'iter_16.pth')
    result = run_tool(['publish_model.py', training_ckpt, str(tmp_path / 'tiny_s4.pth')],
                      cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    published = result.stdout.strip().splitlines()[-1]
    with open(published, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    assert published == str(tmp_path / f'tiny_s4-{sha[:8]}.pth')

    # What the published file holds, read with torch's defaults.
    ckpt = torch.load(published, weights_only=True)
    training = safe_torch_load(training_ckpt)
    assert set(ckpt) == {'meta', 'state_dict'}
    assert ckpt['meta']['dataset_meta']['classes'] == training['meta']['dataset_meta']['classes']
    assert ckpt['meta']['cfg'] == training['meta']['cfg'] and 'TransAVS' in ckpt['meta']['cfg']
    assert ckpt['state_dict'].keys() == training['state_dict'].keys()
    for name, value in training['state_dict'].items():
        assert torch.equal(ckpt['state_dict'][name], value), name
    # mmseg's tools/test.py builds a plain mmengine Runner, which loads with torch's default
    # weights_only=True: the training checkpoint is refused there, the published one is not.
    with pytest.raises(pickle.UnpicklingError):
        torch.load(training_ckpt, weights_only=True)

    assert osp.isfile(MMSEG_TEST), MMSEG_TEST
    out = subprocess.run([sys.executable, MMSEG_TEST, config, published, '--work-dir',
                          str(tmp_path / 'mmseg_test')], cwd=str(tmp_path), capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    metrics = read_test_metrics(str(tmp_path / 'mmseg_test'))
    ours = tested[1]  # our tools/test.py on the training checkpoint
    for key in ('mJ', 'mF', 'mF_dataset', 'frames'):
        assert metrics[key] == ours[key], key


def test_publish_tool_errors(tmp_path):
    result = run_tool(['publish_model.py', str(tmp_path / 'missing.pth'),
                       str(tmp_path / 'o.pth')], cwd=tmp_path)
    assert result.returncode == 2
    assert 'missing.pth' in result.stderr and 'Traceback' not in result.stderr
