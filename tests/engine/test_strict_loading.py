"""Checkpoints that do not fit the model, and corrupt checkpoint files, are errors that name the
file: ``load_checkpoint_file``, ``load_from`` and ``--resume`` of AVSRunner."""
import glob
import logging
import os.path as osp

import pytest
import torch
import torch.nn as nn
from toy_runner import ToyModel, train_toy

from projects.transavs.engine import (
                                      RUNNER_KEYS,
                                      CheckpointMismatchError,
                                      CorruptCheckpointError,
                                      UnsafeCheckpointError,
                                      load_checkpoint_file,
                                      load_checkpoint_to_model,
)


def _log_text(runner):
    with open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]) as f:
        return f.read()


@pytest.fixture
def misfit(tmp_path):
    """A toy checkpoint with a mis-shaped ``linear.weight`` and an unexpected ``extra`` layer."""
    path = str(tmp_path / 'other_net.pth')
    state = ToyModel(extra=[nn.Linear(2, 3)]).state_dict()
    state['linear.weight'] = torch.zeros(1, 3)
    state['linear.bias'] = torch.full((1, ), 7.)
    torch.save({'state_dict': state, 'meta': {}}, path)
    return path


def test_misfit_is_refused_with_file_and_keys(misfit):
    model = ToyModel()
    before = model.linear.bias.detach().clone()
    with pytest.raises(CheckpointMismatchError) as info:
        load_checkpoint_to_model(model, misfit)
    msg = str(info.value)
    assert msg.startswith(f'{misfit}: this checkpoint does not fit the model')
    assert ('2 unexpected key(s) (in the checkpoint, not in the model): extra.0.weight, '
            'extra.0.bias') in msg
    assert '1 mis-shaped key(s): linear.weight (checkpoint (1, 3), model (1, 2))' in msg
    assert 'missing' not in msg.split('Nothing was loaded')[0]
    assert 'load_from_partial = True' in msg and '--partial-load' in msg
    torch.testing.assert_close(model.linear.bias, before)  # nothing was loaded


def test_first_five_keys_are_named_with_counts(tmp_path):
    path = str(tmp_path / 'many.pth')
    torch.save({f'k{i}': torch.zeros(1) for i in range(8)}, path)
    with pytest.raises(CheckpointMismatchError) as info:
        load_checkpoint_to_model(ToyModel(), path)
    msg = str(info.value)
    assert '8 unexpected key(s) (in the checkpoint, not in the model): k0, k1, k2, k3, k4, ' \
        '... (3 more)' in msg
    assert '2 missing key(s) (in the model, not in the checkpoint): linear.weight, ' \
        'linear.bias' in msg


def test_partial_opt_in_loads_what_fits_and_warns(misfit, tmp_path):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger('test_strict_loading')
    logger.addHandler(handler)
    model = ToyModel()
    load_checkpoint_to_model(model, misfit, strict=False, logger=logger)
    assert torch.equal(model.linear.bias, torch.full((1, ), 7.))  # loaded: it fits
    assert model.linear.weight.abs().sum() > 0  # mis-shaped: kept
    (record, ) = records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        f'{misfit}: partial load (opted in): 1 of the model\'s 2 tensors loaded; not loaded: '
        '0 missing, 2 unexpected, 1 mis-shaped.')


def test_revise_keys_still_apply(tmp_path):
    path = str(tmp_path / 'ddp.pth')
    torch.save({'state_dict': {f'module.{k}': v for k, v in ToyModel().state_dict().items()}},
               path)
    load_checkpoint_to_model(ToyModel(), path)  # '^module\.' stripped, as mmengine does


def test_load_from_is_strict(misfit, tmp_path):
    with pytest.raises(CheckpointMismatchError, match='other_net.pth: this checkpoint does '
                       'not fit the model'):
        train_toy(str(tmp_path / 'work'), max_iters=2, load_from=misfit)


@pytest.mark.parametrize('how', ['cfg', 'kwarg'])
def test_load_from_partial_opt_in(misfit, tmp_path, how):
    kwargs = dict(cfg=dict(load_from_partial=True)) if how == 'cfg' else dict(
        load_from_partial=True)
    runner = train_toy(str(tmp_path / 'work'), max_iters=2, load_from=misfit, **kwargs)
    assert runner.iter == 2 and runner.load_from_partial
    log = _log_text(runner)
    assert (f'WARNING - {misfit}: partial load (opted in): 1 of the model\'s 2 tensors '
            'loaded; not loaded: 0 missing, 2 unexpected, 1 mis-shaped.') in log
    assert 'load_from_partial' in RUNNER_KEYS  # not taken for a typo by the config check


def test_load_from_of_a_fitting_checkpoint(tmp_path):
    first = train_toy(str(tmp_path / 'a'), max_iters=2)
    runner = train_toy(str(tmp_path / 'b'), max_iters=2, load_from=str(tmp_path / 'a' /
                                                                      'iter_2.pth'))
    assert runner.iter == 2 and 'partial load' not in _log_text(runner)
    del first


def test_resume_is_strict_even_with_the_opt_in(misfit, tmp_path):
    with pytest.raises(CheckpointMismatchError, match='other_net.pth'):
        train_toy(str(tmp_path / 'work'), max_iters=2, load_from=misfit, resume=True,
                  load_from_partial=True)


# ------------------------------------------------------------------------ corrupt files
@pytest.fixture
def corrupt(tmp_path):
    """An empty file, a truncated checkpoint and a text file, by name."""
    full = tmp_path / 'full.pth'
    torch.save({'state_dict': ToyModel().state_dict(), 'meta': {}}, str(full))
    data = full.read_bytes()
    (tmp_path / 'empty.pth').write_bytes(b'')
    (tmp_path / 'cut.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'notes.pth').write_text('hello, world\n')
    return {name: (str(tmp_path / f'{name}.pth'), size) for name, size in [
        ('empty', 0), ('cut', len(data) // 2), ('notes', 13)]}


@pytest.mark.parametrize('name', ['empty', 'cut', 'notes'])
def test_corrupt_file_is_named_with_its_size(corrupt, name):
    path, size = corrupt[name]
    with pytest.raises(CorruptCheckpointError) as info:
        load_checkpoint_file(path)
    msg = str(info.value)
    assert msg.startswith(f'{path}: cannot load this checkpoint ({size} bytes): ')
    if name == 'empty':
        assert 'the file is empty' in msg
    else:
        assert 'the file is truncated (an interrupted save or copy?) or not a PyTorch ' \
            'checkpoint' in msg
    assert isinstance(info.value, ValueError)
    assert not isinstance(info.value, UnsafeCheckpointError)


@pytest.mark.parametrize('name', ['empty', 'cut'])
def test_corrupt_load_from_and_resume(corrupt, tmp_path, name):
    path, size = corrupt[name]
    with pytest.raises(CorruptCheckpointError, match=f'{name}.pth: cannot load this '
                       f'checkpoint \\({size} bytes\\)'):
        train_toy(str(tmp_path / 'work'), max_iters=2, load_from=path)
    with pytest.raises(CorruptCheckpointError, match=f'{name}.pth'):
        train_toy(str(tmp_path / 'work2'), max_iters=2, load_from=path, resume=True)
