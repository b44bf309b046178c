"""A diverging tools/train.py run stops with one error line naming the iteration and the clips;
its last good checkpoint is the newest; tools/test.py refuses a checkpoint with NaN weights."""
import os

import torch
from tool_runs import run_tool, write_config

from projects.transavs.engine import safe_torch_load


def test_diverging_training_stops_and_nan_checkpoints_are_refused(s4_root, tmp_path):
    config = write_config(tmp_path / 'tiny.py', s4_root, max_iters=6, val_interval=100,
                          ckpt_interval=1)
    work = tmp_path / 'work'
    result = run_tool(['train.py', config, '--work-dir', str(work), '--cfg-options',
                       'optim_wrapper.optimizer.lr=1e30'], cwd=tmp_path)  # a learning-rate typo
    assert result.returncode == 1, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('train.py: error: training diverged at iteration 2: loss=nan'), last
    assert 'the batch held the clips s4/syn_s4_' in last and 'Traceback' not in result.stderr
    # iteration 1 was saved; the diverged weights of iteration 2 were not
    assert sorted(n for n in os.listdir(work) if n.endswith('.pth')) == ['iter_1.pth']
    assert (work / 'last_checkpoint').read_text().strip().endswith('iter_1.pth')

    ckpt = safe_torch_load(str(work / 'iter_1.pth'))
    ckpt['state_dict']['decode_head.cls_embed.bias'][0] = float('nan')
    torch.save({'state_dict': ckpt['state_dict'], 'meta': ckpt['meta']}, tmp_path / 'nan.pth')
    result = run_tool(['test.py', config, str(tmp_path / 'nan.pth'), '--work-dir',
                       str(tmp_path / 'test')], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f'test.py: error: {tmp_path / "nan.pth"}: 1 weight tensor(s) hold NaN or infinite '
        'values (decode_head.cls_embed.bias): the run that saved it diverged; use an earlier '
        'checkpoint. Nothing was loaded.')
