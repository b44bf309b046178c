"""What ``torch.compile`` makes of the training step: the graphs and graph breaks of the
training forward (``torch._dynamo.explain``), and the operators a whole step dispatches
(``torch.profiler``)."""
import copy
import re
from typing import Callable, Dict, List

import torch
from torch.autograd.profiler_util import FunctionEvent
from torch.profiler import ProfilerActivity, profile

__all__ = ['loss_graph_breaks', 'ops_per_step']

#: Profiler event names of launches of device work from the host (CUDA runtime and driver
#: API; ``cudaGraphLaunch`` replays a whole captured CUDA graph).
LAUNCH_EVENTS = ('cudaLaunchKernel', 'cudaLaunchKernelExC', 'cuLaunchKernel', 'cuLaunchKernelEx',
                 'cudaLaunchCooperativeKernel', 'cudaGraphLaunch')


def loss_graph_breaks(model: torch.nn.Module, batch: dict) -> Dict[str, object]:
    """Graphs and graph breaks of the model's training forward under ``torch.compile``.

    ``torch._dynamo.explain`` traces ``model.loss_from_tensors`` (features, head and the
    criterion's targets, matching and eq. 13 losses) on one preprocessed batch and runs it;
    the dynamo caches are cleared afterwards, so the models timed next compile afresh.

    Args:
        model (nn.Module): a TransAVS model (in training mode for the training forward).
        batch (dict): a batch as a data loader gives it (:func:`make_batch`).

    Returns:
        dict: ``graphs`` and ``graph_breaks`` (counted as dynamo counts them: a break inside
        nested calls counts once per enclosing frame) and ``break_reasons`` (the distinct
        first lines of the reasons).
    """
    data = model.data_preprocessor(copy.copy(batch), True)
    gt_sem_seg, gt_valid = model.gt_tensors(data['data_samples'])
    instances = model.instance_tensors(data['data_samples']) or ()
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model.loss_from_tensors)(data['inputs'], gt_sem_seg,
                                                                 gt_valid, *instances)
    torch._dynamo.reset()
    reasons: List[str] = []
    for reason in explanation.break_reasons:
        lines = [line.strip() for line in reason.reason.splitlines() if line.strip()]
        detail = next((line for line in lines if line.startswith('Explanation:')), '')
        text = f'{lines[0]} {detail}'.strip() if lines else ''
        text = re.sub(r' at 0x[0-9a-f]+', '', text)  # the same function in every run
        if text not in reasons:
            reasons.append(text)
    return dict(graphs=explanation.graph_count, graph_breaks=explanation.graph_break_count,
                break_reasons=reasons)


def _nested_in_operator(event: FunctionEvent) -> bool:
    """Whether an ``aten::`` operator event runs inside another one (a composite op's part)."""
    parent = event.cpu_parent
    while parent is not None:
        if parent.name.startswith('aten::'):
            return True
        parent = parent.cpu_parent
    return False


def ops_per_step(fn: Callable[[], object], device: str) -> Dict[str, int]:
    """Counts what one call of ``fn`` (a training step) dispatches, with ``torch.profiler``.

    Args:
        fn (Callable): one training step (already warmed up: compiled, allocator ready).
        device (str): where it runs.

    Returns:
        dict: ``aten_ops``, the ATen operators called from Python, from compiled code or by
        the autograd engine (operators inside another operator, the parts of composite ops,
        are not counted; the inductor's own generated kernels are not ATen operators), and
        on CUDA ``launches`` (kernel launches and CUDA graph replays issued by the host),
        ``graph_launches`` (the CUDA graph replays alone) and ``device_kernels`` (kernels
        that ran on the GPU).
    """
    cuda = device.startswith('cuda')
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        fn()
        if cuda:
            torch.cuda.synchronize()
    events = prof.events()
    counts = dict(aten_ops=sum(1 for e in events
                               if e.name.startswith('aten::') and not _nested_in_operator(e)))
    if cuda:
        counts['launches'] = sum(1 for e in events if e.name in LAUNCH_EVENTS)
        counts['graph_launches'] = sum(1 for e in events if e.name == 'cudaGraphLaunch')
        counts['device_kernels'] = sum(
            1 for e in events if e.device_type == torch.autograd.DeviceType.CUDA)
    return counts
