"""Mixed-precision training on the CPU (bfloat16 autocast), where AmpOptimWrapper refuses."""
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

__all__ = ['CPUAmpOptimWrapper']


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """mmengine's ``OptimWrapper`` with CPU autocast around forward and loss.

    mmengine's ``AmpOptimWrapper`` asserts a CUDA (or NPU/MLU/MUSA) device. On the CPU,
    ``torch.autocast('cpu')`` runs matrix products and convolutions in bfloat16; bfloat16
    keeps float32's exponent range, so no loss scaling is needed. ``tools/train.py --amp``
    selects this wrapper when no GPU is visible.

    Args:
        dtype (str | torch.dtype): autocast dtype, ``'bfloat16'`` (default) or
            ``'float16'``.
        **kwargs: passed to ``OptimWrapper``.
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16', **kwargs) -> None:
        kwargs.pop('loss_scale', None)  # no scaler on the CPU
        super().__init__(**kwargs)
        dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        if dtype not in (torch.bfloat16, torch.float16):
            raise ValueError(f'CPUAmpOptimWrapper: dtype must be bfloat16 or float16, got '
                             f'{dtype}')
        self.cast_dtype = dtype

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast('cpu', dtype=self.cast_dtype):
            yield
