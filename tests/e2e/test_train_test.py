"""tools/train.py and tools/test.py on generated data, 1 and 2 processes (gloo on CPU)."""
import os.path as osp

import pytest
import torch
from tool_runs import free_port, read_test_metrics, run_tool, scalars, write_config

from projects.transavs.engine import safe_torch_load


def test_train_writes_checkpoints_and_loss_decreases(trained):
    config, work_dir, _ = trained
    for it in (8, 16):
        ckpt = safe_torch_load(osp.join(work_dir, f'iter_{it}.pth'))
        assert ckpt['meta']['iter'] == it
        assert any(k.startswith('decode_head.query_encoder') for k in ckpt['state_dict'])
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('iter_16.pth')
    train = [s for s in scalars(work_dir) if 'loss' in s]
    assert [s['step'] for s in train] == list(range(1, 17))
    first = sum(s['loss'] for s in train[:4]) / 4
    last = sum(s['loss'] for s in train[-4:]) / 4
    assert last < 0.8 * first, (first, last)
    # eq. 18 schedule with n_iter=4: delta rises every 4 iterations.
    assert train[0]['delta1'] == pytest.approx(0.55)
    assert train[-1]['delta1'] == pytest.approx(0.55 + 0.1 * 3 / 4)
    # Validation ran (every 8 iterations) and saved the best checkpoint by mJ.
    vals = [s for s in scalars(work_dir) if 'mJ' in s]
    assert len(vals) == 2 and all(0 <= v['mJ'] <= 1 for v in vals)
    assert any(name.startswith('best_mJ') for name in __import__('os').listdir(work_dir))


def test_test_tool_reports_metrics(tested):
    folder, metrics = tested
    assert metrics['frames'] == 15  # 3 test clips x 5 annotated frames
    for key in ('mJ', 'mF', 'mF_dataset'):
        assert 0 <= metrics[key] <= 1
    assert len(list((folder / 'preds').rglob('*.png'))) == 15  # --out: probability PNGs
    assert len(list((folder / 'vis').rglob('*.png'))) == 3  # --show-dir: one per clip


def test_two_process_test_equals_one_process(trained, tested, tmp_path):
    config, work_dir, _ = trained
    ckpt = osp.join(work_dir, 'iter_16.pth')
    two = run_tool(['dist_test.sh', config, ckpt, '2', '--work-dir', str(tmp_path / 'two')],
                   cwd=tmp_path, env_extra=dict(PORT=free_port()))
    assert two.returncode == 0, two.stdout[-3000:] + two.stderr[-3000:]
    m1, m2 = tested[1], read_test_metrics(str(tmp_path / 'two'))
    for key in ('mJ', 'mF', 'mF_dataset', 'frames'):
        assert m1[key] == m2[key], key  # 3 clips over 2 processes: padded, then de-duplicated


def test_two_process_training(s4_root, tmp_path):
    config = write_config(tmp_path / 'dist.py', s4_root, max_iters=4, val_interval=4,
                          ckpt_interval=4)
    result = run_tool(['dist_train.sh', config, '2', '--work-dir', str(tmp_path / 'work')],
                      cwd=tmp_path, env_extra=dict(PORT=free_port()))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ckpt = safe_torch_load(str(tmp_path / 'work' / 'iter_4.pth'))
    assert ckpt['meta']['iter'] == 4
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())
    log = result.stdout + result.stderr
    assert 'Distributed launcher: pytorch' in log or 'world_size' in log.lower()
