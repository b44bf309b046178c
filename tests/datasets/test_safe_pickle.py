"""Restricted loading of ``pickle.dump``-ed tensors (AVSBench's log-mel ``.pkl`` files)."""
import io
import pickle
from collections import OrderedDict

import pytest
import torch

from projects.transavs.datasets import UnsafePickleError, load_tensor_pickle


def _dump(path, obj, protocol=pickle.DEFAULT_PROTOCOL):
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=protocol)
    return str(path)


class _MakesMarker:
    """Unpickling this with the plain pickle module creates ``marker`` (a harmless payload)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, 'w')


class _SmuggledStorage:
    """Pickles as ``torch.storage._load_from_bytes(b)`` with ``b`` = a legacy torch.save of
    a :class:`_MakesMarker`: the outer pickle only names allow-listed globals."""

    def __init__(self, marker):
        buffer = io.BytesIO()
        torch.save(_MakesMarker(marker), buffer, _use_new_zipfile_serialization=False)
        self.payload = buffer.getvalue()

    def __reduce__(self):
        return torch.storage._load_from_bytes, (self.payload, )


class _TensorWithSmuggledStorage:

    def __init__(self, marker):
        self.storage = _SmuggledStorage(marker)

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (self.storage, 0, (1, ), (1, ), False,
                                                 OrderedDict())


@pytest.mark.parametrize('protocol', [2, 3, 4, 5])
def test_real_tensor_pickles_load_equal(tmp_path, protocol):
    torch.manual_seed(0)
    log_mel = torch.randn(5, 96, 64)[:, None]  # [5, 1, 96, 64], a view as torchvggish makes
    grad = torch.randn(5, 1, 96, 64, dtype=torch.float64, requires_grad=True).float()
    for name, tensor in (('log_mel', log_mel), ('grad', grad),
                         ('transposed', torch.randn(4, 6).t()), ('ints', torch.arange(9)[2:7])):
        loaded = load_tensor_pickle(_dump(tmp_path / f'{name}.pkl', tensor, protocol))
        assert torch.equal(loaded, tensor.detach()), name
        assert loaded.dtype == tensor.dtype and loaded.stride() == tensor.stride()
        assert not loaded.requires_grad


def test_reduce_payload_is_refused_and_never_runs(tmp_path):
    # The payload is real: plain pickle runs it.
    plain_marker = tmp_path / 'plain_marker'
    pickle.loads(pickle.dumps(_MakesMarker(plain_marker))).close()
    assert plain_marker.exists()

    marker = tmp_path / 'marker'
    path = _dump(tmp_path / 'evil.pkl', [torch.zeros(2), _MakesMarker(marker)])
    with pytest.raises(UnsafePickleError, match=r'global io\.open') as err:
        load_tensor_pickle(path)
    assert path in str(err.value)
    assert isinstance(err.value, pickle.UnpicklingError)
    assert not marker.exists()


def test_payload_smuggled_inside_storage_bytes_is_refused(tmp_path):
    # Plain pickle would run it through torch.load(weights_only=False).
    plain_marker = tmp_path / 'plain_marker'
    try:
        pickle.loads(pickle.dumps(_TensorWithSmuggledStorage(plain_marker)))
    except Exception:  # the rebuilt "storage" is a file object: rebuilding then fails
        pass
    assert plain_marker.exists()

    marker = tmp_path / 'marker'
    path = _dump(tmp_path / 'smuggled.pkl', _TensorWithSmuggledStorage(marker))
    with pytest.raises(UnsafePickleError, match='storage embedded') as err:
        load_tensor_pickle(path)
    assert path in str(err.value)
    assert not marker.exists()


def test_only_latin1_codecs_encode_is_admitted(tmp_path):
    class _Rot13:

        def __reduce__(self):
            import codecs
            return codecs.encode, ('tensor', 'rot13')

    with pytest.raises(UnsafePickleError, match='latin-1'):
        load_tensor_pickle(_dump(tmp_path / 'rot13.pkl', _Rot13(), protocol=2))


def test_corrupt_truncated_missing_and_non_tensor_files(tmp_path):
    good = pickle.dumps(torch.randn(5, 1, 96, 64))
    truncated = tmp_path / 'truncated.pkl'
    truncated.write_bytes(good[:len(good) // 2])
    with pytest.raises(ValueError, match='not a valid tensor pickle') as err:
        load_tensor_pickle(truncated)
    assert str(truncated) in str(err.value)

    empty = tmp_path / 'empty.pkl'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match='empty.pkl'):
        load_tensor_pickle(empty)

    garbage = tmp_path / 'garbage.pkl'
    garbage.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValueError, match='garbage.pkl'):
        load_tensor_pickle(garbage)

    with pytest.raises(TypeError, match=r'non_tensor.pkl.*dict'):
        load_tensor_pickle(_dump(tmp_path / 'non_tensor.pkl', {'a': [1, 2.0]}))

    with pytest.raises(FileNotFoundError, match='missing.pkl'):
        load_tensor_pickle(tmp_path / 'missing.pkl')
