"""Restricted checkpoint loading: mmengine checkpoints load, foreign objects are refused."""
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader
from toy_runner import ToyModel, train_toy

from projects.transavs.engine import (
                                      UnsafeCheckpointError,
                                      load_checkpoint_file,
                                      load_checkpoint_to_model,
                                      safe_torch_load,
)


def test_mmengine_checkpoint_roundtrip(tmp_path):
    runner = train_toy(str(tmp_path))
    ckpt_path = osp.join(str(tmp_path), 'iter_4.pth')
    assert osp.isfile(ckpt_path)
    ckpt = safe_torch_load(ckpt_path)
    # What makes plain weights_only loading fail: history buffers and numpy data.
    assert 'message_hub' in ckpt and ckpt['message_hub']['log_scalars']
    assert ckpt['meta']['iter'] == 4
    assert set(ckpt['optimizer']['state']) == {0, 1}
    torch.testing.assert_close(ckpt['state_dict']['linear.weight'],
                               runner.model.linear.weight.detach())
    # The restricted counterpart of mmengine's load_checkpoint(model, path).
    model = ToyModel()
    load_checkpoint_to_model(model, ckpt_path, map_location='cpu')
    torch.testing.assert_close(model.linear.weight, runner.model.linear.weight)
    # mmengine's own loader is left as it is: restricted by torch's default, and without
    # our allow-list it refuses mmengine's own checkpoints (the problem AVSRunner solves).
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(ckpt_path, map_location='cpu')
    # AVSRunner resumes from iteration 4 with the optimiser state.
    resumed = train_toy(str(tmp_path), max_iters=6, resume=True)
    assert resumed.iter == 6


def test_resume_restores_message_hub(tmp_path):
    train_toy(str(tmp_path))
    ckpt = safe_torch_load(osp.join(str(tmp_path), 'iter_4.pth'))
    buffers = ckpt['message_hub']['log_scalars']
    assert 'train/loss' in buffers
    assert isinstance(buffers['train/loss'].data[0], np.ndarray)


class _Payload:
    """Creates a marker file when unpickled, if unpickling were allowed to run code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_foreign_object_is_refused_and_not_executed(tmp_path):
    marker = str(tmp_path / 'pwned')
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'extra': _Payload(marker)}, path)
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        safe_torch_load(path)
    assert not os.path.exists(marker)
    # So do the loader by name and AVSRunner's load_checkpoint (load_from / resume).
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        load_checkpoint_file(path)
    runner = train_toy(str(tmp_path / 'work'), max_iters=2)
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        runner.load_checkpoint(path)
    assert not os.path.exists(marker)


def test_unknown_class_is_refused(tmp_path):
    path = str(tmp_path / 'cls.pth')
    torch.save({'obj': ToyModel()}, path)
    with pytest.raises(UnsafeCheckpointError, match='outside the allow-list'):
        safe_torch_load(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        safe_torch_load(str(tmp_path / 'nope.pth'))


def test_truncated_checkpoint_fails_loudly(tmp_path):
    path = tmp_path / 'full.pth'
    torch.save({'state_dict': {'w': torch.randn(1000)}}, str(path))
    data = path.read_bytes()
    (tmp_path / 'cut.pth').write_bytes(data[:len(data) // 2])
    with pytest.raises(Exception):
        safe_torch_load(str(tmp_path / 'cut.pth'))


def test_safe_loading_is_not_switched_off_globally(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'x': _Payload(str(tmp_path / 'marker'))}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)  # torch's default stays weights_only=True


def test_allow_list_lasts_one_load_only(tmp_path):
    before = list(torch.serialization.get_safe_globals())
    train_toy(str(tmp_path))
    assert safe_torch_load(osp.join(str(tmp_path), 'iter_4.pth'))['meta']['iter'] == 4
    assert list(torch.serialization.get_safe_globals()) == before


def test_load_checkpoint_file_names_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'))
    with pytest.raises(KeyError, match='no_such_net'):
        load_checkpoint_file('torchvision://no_such_net')


class _GetattrPayload:
    """Uses getattr to reach attributes beyond HistoryBuffer's statistics methods."""

    def __init__(self, obj, name):
        self.obj, self.name = obj, name

    def __reduce__(self):
        return (getattr, (self.obj, self.name))


@pytest.mark.parametrize('obj,name', [(b'data', 'decode'), (HistoryBuffer, '__init__')])
def test_getattr_is_restricted_to_history_buffer(tmp_path, obj, name):
    path = str(tmp_path / 'getattr.pth')
    torch.save({'x': _GetattrPayload(obj, name)}, path)
    with pytest.raises(UnsafeCheckpointError, match='getattr'):
        safe_torch_load(path)
