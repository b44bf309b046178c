"""tools/train.py --compile on generated data, in 1 process and in 2 (dist_train.sh: gloo, the
model in CPUDistributedDataParallel): the data loader's instance maps (ClipInstanceTargets)
reach the compiled training step, which runs as one graph (fullgraph=True, so a graph break
would stop the run), and the checkpoint keeps the eager keys.
The 'aot_eager' backend traces forward and backward without the inductor's minutes of
compiling."""
import math
import os.path as osp

import pytest
from tool_runs import free_port, run_tool, scalars, write_config

from projects.transavs.engine import safe_torch_load


@pytest.mark.parametrize('processes', [1, 2])
def test_compiled_training_runs_as_one_graph(tmp_path, s4_root, processes):
    config = write_config(tmp_path / 'tiny_compiled.py', s4_root, max_iters=4, val_interval=100,
                          ckpt_interval=4)
    work_dir = tmp_path / 'work'
    options = ['--work-dir', str(work_dir), '--compile', '--cfg-options',
               'model.compile.backend=aot_eager']
    if processes == 1:
        result = run_tool(['train.py', config] + options, cwd=tmp_path)
    else:
        result = run_tool(['dist_train.sh', config, '2'] + options, cwd=tmp_path,
                          env_extra=dict(PORT=free_port()))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert "compile=dict(backend='aot_eager', mode='default')" in log
    assert f'Distributed training: {processes == 2}' in log
    train = [s for s in scalars(str(work_dir)) if 'loss' in s]
    assert [s['step'] for s in train] == [1, 2, 3, 4]
    assert all(math.isfinite(s['loss']) and s['loss_aqdl'] >= 0 for s in train)
    state = safe_torch_load(osp.join(work_dir, 'iter_4.pth'))['state_dict']
    assert 'decode_head.cls_embed.weight' in state
    assert not any('_orig_mod' in key for key in state)
