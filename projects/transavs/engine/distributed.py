"""Multi-process training and testing on machines without a GPU (gloo backend).

mmengine 0.10.7 assumes CUDA for distributed runs: ``init_dist`` calls
``torch.cuda.set_device`` and ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]`` to DDP,
which torch refuses for a CPU module. :func:`prepare_distributed_config` initialises the
process group with gloo itself (the runner then skips ``init_dist``) and selects
:class:`CPUDistributedDataParallel`, which drops ``device_ids`` for CPU modules.
On a GPU machine both are no-ops and the usual NCCL path is taken.
"""
import os
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS

__all__ = ['CPUDistributedDataParallel', 'prepare_distributed_config']


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` that also wraps a module living on the CPU.

    Args:
        module (nn.Module): the model.
        device_ids (list[int], optional): ignored (set to ``None``) when the module's
            parameters are on the CPU, as torch's DDP requires.
        **kwargs: passed to :class:`MMDistributedDataParallel`.
    """

    def __init__(self, module, device_ids: Optional[list] = None, **kwargs):
        param = next(module.parameters(), None)
        if param is None or param.device.type == 'cpu':
            device_ids = None
        super().__init__(module=module, device_ids=device_ids, **kwargs)


def prepare_distributed_config(cfg: Config, launcher: str) -> None:
    """Makes a distributed ``cfg`` run on CPU processes when no GPU is visible.

    Args:
        cfg (Config): the run's config, modified in place.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f'launcher={launcher!r} without a GPU is not supported; use '
            'tools/dist_train.sh / dist_test.sh (torchrun, launcher=pytorch) for '
            'multi-process CPU runs.')
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    wrapper = cfg.get('model_wrapper_cfg') or {}
    if wrapper.get('type', 'MMDistributedDataParallel') in (
            'MMDistributedDataParallel', 'CPUDistributedDataParallel'):
        wrapper = dict(wrapper)
        wrapper['type'] = 'CPUDistributedDataParallel'
        wrapper.setdefault('broadcast_buffers', False)
        wrapper.setdefault('find_unused_parameters',
                           cfg.get('find_unused_parameters', False))
        cfg.model_wrapper_cfg = wrapper
