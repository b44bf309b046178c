"""A checkpoint of another config is an error for ``init_model`` and ``tools/test.py``, unless
partial loading is asked for; a truncated checkpoint names itself."""
import logging

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from tool_runs import run_tool, write_config

from projects.transavs.apis import init_model
from projects.transavs.engine import CheckpointMismatchError, CorruptCheckpointError


@pytest.fixture(scope='module')
def other_config_checkpoint(config, tmp_path_factory):
    """The tiny S4 model with 8 queries instead of 16 (another config)."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(config)
    cfg.merge_from_dict({'model.decode_head.num_queries': 8})
    model = MODELS.build(cfg.model)
    path = str(tmp_path_factory.mktemp('other') / 'eight_queries.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def test_init_model_refuses_another_config(config, other_config_checkpoint):
    with pytest.raises(CheckpointMismatchError) as info:
        init_model(config, other_config_checkpoint)
    msg = str(info.value)
    assert msg.startswith(f'{other_config_checkpoint}: this checkpoint does not fit the model')
    assert 'mis-shaped key(s): ' in msg and '(checkpoint (8, ' in msg


def test_init_model_partial_opt_in_warns(config, other_config_checkpoint):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        model = init_model(config, other_config_checkpoint, strict=False)
    finally:
        logger.removeHandler(handler)
    assert model.decode_head.num_queries == 16
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].getMessage().startswith(
        f'{other_config_checkpoint}: partial load (opted in): ')
    assert 'not loaded: 0 missing, 0 unexpected, ' in warnings[0].getMessage()


def test_init_model_names_a_truncated_checkpoint(config, tiny_checkpoint, tmp_path):
    data = open(tiny_checkpoint, 'rb').read()
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(data[:1000])
    with pytest.raises(CorruptCheckpointError, match=f'{cut}: cannot load this checkpoint '
                       r'\(1000 bytes\): the file is truncated'):
        init_model(config, str(cut))


def test_test_tool_refuses_another_config(other_config_checkpoint, s4_root, tmp_path):
    cfg = write_config(tmp_path / 'tiny_test.py', s4_root)
    proc = run_tool(['test.py', cfg, other_config_checkpoint, '--work-dir',
                     str(tmp_path / 'work')], cwd=tmp_path, timeout=300)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'test.py: error: {other_config_checkpoint}: this checkpoint does '
                           'not fit the model'), proc.stderr[-3000:]
    assert 'mis-shaped key(s)' in last and '--partial-load' in last
    proc = run_tool(['test.py', cfg, other_config_checkpoint, '--work-dir',
                     str(tmp_path / 'work2'), '--partial-load'], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'WARNING - {other_config_checkpoint}: partial load (opted in)' in \
        proc.stdout + proc.stderr
