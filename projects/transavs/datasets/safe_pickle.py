"""Restricted loading of tensors saved with plain ``pickle.dump`` (AVSBench's log-mel ``.pkl``).

AVSBench v1 ships its VGGish log-mels as ``pickle.dump`` of a torch tensor ``[5, 1, 96, 64]``.
Unpickling such a file with :mod:`pickle` runs whatever callables it names, and torch's own
tensor pickling does not help: a storage pickles as ``torch.storage._load_from_bytes(bytes)``,
which calls ``torch.load(..., weights_only=False)`` on the embedded bytes. So a ``.pkl`` from
an untrusted mirror could run code twice over.

:func:`load_tensor_pickle` unpickles with an allow-list instead. The only globals it resolves
are the four a pickled dense tensor needs, and two of them are replaced by checked versions:

=====================================  ===================================================
global in the pickle                   what it becomes
=====================================  ===================================================
``torch._utils._rebuild_tensor_v2``    a wrapper that checks its arguments, then rebuilds
``torch.storage._load_from_bytes``     ``torch.load(bytes, weights_only=True)``, must give
                                       a storage
``collections.OrderedDict``            itself (the empty backward-hooks dict)
``_codecs.encode``                     latin-1 encoding only (how protocol 2 stores bytes)
=====================================  ===================================================

Every other global raises :class:`UnsafePickleError` before anything from the file is called.
The storage bytes use torch's legacy serialization format, which every torch version from
1.x to 2.x writes the same way, so files written by old torch versions load too.
"""
import codecs
import io
import os
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Any, Callable, Dict, Tuple, Union

import torch

__all__ = ['UnsafePickleError', 'load_tensor_pickle']


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle was refused because it names a global outside the allow-list."""


def _latin1_encode(text: Any, encoding: str = 'utf-8', errors: str = 'strict') -> bytes:
    """``_codecs.encode`` restricted to what pickle protocol 2 uses for ``bytes``."""
    if not isinstance(text, str) or codecs.lookup(encoding).name != 'iso8859-1':
        raise UnsafePickleError(
            f'_codecs.encode is only admitted for latin-1 text, got {type(text).__name__} '
            f'with encoding {encoding!r}')
    return text.encode('latin-1', errors)


def _is_int_tuple(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value)


class _TensorUnpickler(pickle.Unpickler):
    """An unpickler that only rebuilds dense CPU tensors.

    Args:
        file: the open binary file.
        name (str): how to name the source in errors.
    """

    def __init__(self, file: io.IOBase, name: str) -> None:
        super().__init__(file)
        self.name = name
        self._allowed: Dict[Tuple[str, str], Callable] = {
            ('torch._utils', '_rebuild_tensor_v2'): self._rebuild_tensor,
            ('torch.storage', '_load_from_bytes'): self._load_storage,
            ('collections', 'OrderedDict'): OrderedDict,
            ('_codecs', 'encode'): _latin1_encode,
        }

    def find_class(self, module: str, name: str) -> Callable:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f'{self.name}: refused to unpickle the global {module}.{name}; a tensor '
                'pickle may only name ' +
                ', '.join(f'{m}.{n}' for m, n in self._allowed) +
                '. Nothing from the file was executed.') from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(
            f'{self.name}: refused a persistent id {pid!r}; this is not a plain tensor '
            'pickle (a file written by torch.save is read with torch.load(weights_only=True))')

    def _load_storage(self, data: Any) -> Any:
        """``torch.storage._load_from_bytes``, with restricted ``torch.load``."""
        if not isinstance(data, (bytes, bytearray)):
            raise UnsafePickleError(
                f'{self.name}: storage data must be bytes, got {type(data).__name__}')
        try:
            storage = torch.load(io.BytesIO(data), map_location='cpu', weights_only=True)
        except pickle.UnpicklingError as err:
            raise UnsafePickleError(
                f'{self.name}: refused the tensor storage embedded in this pickle: it holds '
                'objects that restricted loading (torch.load(weights_only=True)) does not '
                f'admit. Nothing from it was executed. torch said: {err}') from err
        if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
            raise UnsafePickleError(
                f'{self.name}: the embedded storage data hold a {type(storage).__name__}, '
                'expected a torch storage')
        return storage

    def _rebuild_tensor(self, storage: Any, storage_offset: Any, size: Any, stride: Any,
                        requires_grad: Any = False, backward_hooks: Any = None,
                        metadata: Any = None) -> torch.Tensor:
        """``torch._utils._rebuild_tensor_v2`` after checking every argument."""
        if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
            raise UnsafePickleError(
                f'{self.name}: a tensor must be rebuilt from a torch storage, got '
                f'{type(storage).__name__}')
        if not (isinstance(storage_offset, int) and _is_int_tuple(size)
                and _is_int_tuple(stride) and len(size) == len(stride)):
            raise pickle.UnpicklingError(
                f'{self.name}: malformed tensor arguments: offset {storage_offset!r}, '
                f'size {size!r}, stride {stride!r}')
        if backward_hooks:
            raise UnsafePickleError(f'{self.name}: refused a tensor with backward hooks')
        if metadata is not None and not (isinstance(metadata, dict) and all(
                isinstance(k, str) and isinstance(v, bool) for k, v in metadata.items())):
            raise UnsafePickleError(
                f'{self.name}: tensor metadata must map names to booleans, got {metadata!r}')
        try:
            tensor = torch._utils._rebuild_tensor_v2(storage, storage_offset, tuple(size),
                                                     tuple(stride), False, OrderedDict(),
                                                     metadata)
        except RuntimeError as err:
            raise pickle.UnpicklingError(
                f'{self.name}: cannot rebuild the tensor (size {tuple(size)}, stride '
                f'{tuple(stride)}, offset {storage_offset}) from its storage: {err}') from err
        return tensor


def load_tensor_pickle(path: Union[str, os.PathLike]) -> torch.Tensor:
    """Loads a tensor that was saved with ``pickle.dump``, never executing file content.

    Args:
        path (str | PathLike): the ``.pkl`` file, e.g. an AVSBench ``audio_log_mel`` file.

    Returns:
        torch.Tensor: the tensor, on CPU, detached (``requires_grad=False``).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafePickleError: the pickle names a global outside the allow-list, or its storage
            bytes do (nothing is executed).
        ValueError: the file is empty, truncated or otherwise not a valid pickle.
        TypeError: the pickle is valid but holds something other than a tensor.
    """
    name = os.fspath(path)
    if not osp.isfile(name):
        raise FileNotFoundError(f'tensor pickle not found: {name}')
    with open(name, 'rb') as file:
        try:
            obj = _TensorUnpickler(file, name).load()
        except UnsafePickleError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError,
                KeyError, AttributeError, RuntimeError, OverflowError, MemoryError,
                UnicodeDecodeError) as err:
            raise ValueError(
                f'{name}: not a valid tensor pickle (empty, truncated or corrupt): '
                f'{type(err).__name__}: {err}') from err
    if not isinstance(obj, torch.Tensor):
        raise TypeError(f'{name}: expected a pickled torch.Tensor, found a {type(obj).__name__}')
    return obj
