"""Timing and peak memory on a CPU or a CUDA device."""
import resource
import statistics
import time
from typing import Callable

import torch

__all__ = ['sync', 'timed', 'peak_memory_gib']


def sync(device: str) -> None:
    """Waits for the device's queued work (CUDA); nothing on the CPU.

    Args:
        device (str): A torch device name.
    """
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def timed(fn: Callable[[], object], device: str, warmup: int, iters: int) -> float:
    """The median wall time of ``fn`` after ``warmup`` untimed calls, with synchronisation.

    Args:
        fn (Callable): The work to time.
        device (str): The device it runs on.
        warmup (int): Untimed calls first.
        iters (int): Timed calls.

    Returns:
        float: Seconds (median over ``iters``).
    """
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory_gib(device: str) -> float:
    """Peak memory in GiB: allocated GPU memory on CUDA, else the process's peak RSS.

    Args:
        device (str): A torch device name.

    Returns:
        float: GiB.
    """
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # process peak RSS
