"""A batched linear assignment solver on the device, without host synchronisation.

Written by hand because the solvers at hand run on the host: scipy's
``linear_sum_assignment`` (what mmseg's ``HungarianAssigner`` calls) takes one numpy matrix
at a time, so a training step that uses it copies every cost matrix to the host and waits for
it, which ``torch.compile`` cannot trace and CUDA graphs cannot capture. The solver below is
the shortest-augmenting-path form of the Hungarian algorithm (Jonker-Volgenant; the
``O(M^2 N)`` variant with row and column potentials), run for all frames at once with fixed
loop counts: assigning the ``i``-th slot explores at most ``i`` queries (only ``i - 1`` are
taken, and the search stops at the first free one), so ``M (M + 1) / 2`` relaxation steps
and as many path steps solve every frame exactly, with per-frame flags instead of
data-dependent exits. Its cost grows with the slot count ``M``, not the query count ``N``.
"""
import torch
from torch import Tensor

__all__ = ['batched_linear_assignment']


def batched_linear_assignment(cost: Tensor) -> Tensor:
    """The minimum-cost assignment of ``M`` slots to distinct queries, for every frame.

    Equal to scipy's ``linear_sum_assignment`` on each ``[N, M]`` matrix (ties aside).
    Slots that hold no instance should be given a constant cost (e.g. 0) for every query:
    any assignment of the other slots then completes at the same total, so their optimum is
    unchanged.

    Args:
        cost (Tensor): ``[F, N, M]`` cost of query ``n`` for slot ``m``, finite, ``N >= M``.

    Returns:
        Tensor: ``[F, M]`` long, the query of each slot (distinct within a frame).
    """
    num_frames, num_queries, num_slots = cost.shape
    if num_queries < num_slots:
        raise ValueError(f'batched_linear_assignment needs at least as many queries as slots, '
                         f'got cost {tuple(cost.shape)} ([F, N, M])')
    device = cost.device
    # Rows are the slots 1..M, columns the queries 1..N; row and column 0 are the algorithm's
    # sentinels. (F, N, M) -> (F, M, N) -> (F, M + 1, N + 1)
    rows = torch.nn.functional.pad(cost.detach().float().transpose(1, 2), (1, 0, 1, 0))
    width = num_queries + 1
    u = rows.new_zeros(num_frames, num_slots + 1)  # row potentials
    v = rows.new_zeros(num_frames, width)  # column potentials
    owner = torch.zeros(num_frames, width, dtype=torch.long, device=device)  # row of column
    way = torch.zeros_like(owner)  # previous column on the shortest path
    inf = torch.finfo(rows.dtype).max
    for row in range(1, num_slots + 1):
        owner[:, 0] = row
        col = torch.zeros(num_frames, dtype=torch.long, device=device)  # [F] current column
        min_slack = torch.full_like(v, inf)
        used = torch.zeros_like(owner, dtype=torch.bool)
        active = torch.ones(num_frames, dtype=torch.bool, device=device)
        # At most `row` columns are visited: `row - 1` taken ones and the first free one.
        for _ in range(row):
            used = used | (torch.nn.functional.one_hot(col, width).bool() & active[:, None])
            from_row = owner.gather(1, col[:, None])  # [F, 1]
            reduced = rows.gather(1, from_row[:, :, None].expand(-1, 1, width))[:, 0] - \
                u.gather(1, from_row) - v  # [F, N + 1]
            better = ~used & (reduced < min_slack) & active[:, None]
            min_slack = torch.where(better, reduced, min_slack)
            way = torch.where(better, col[:, None], way)
            delta, nearest = torch.where(used, inf, min_slack).min(1)  # [F]
            step = torch.where(active, delta, torch.zeros_like(delta))[:, None]  # [F, 1]
            u = u.scatter_add(1, owner, torch.where(used, step, torch.zeros_like(v)))
            v = torch.where(used, v - step, v)
            min_slack = torch.where(used, min_slack, min_slack - step)
            col = torch.where(active, nearest, col)
            active = active & (owner.gather(1, col[:, None])[:, 0] != 0)
        # Augment along the path back to column 0 (at most `row` steps).
        for _ in range(row):
            prev = way.gather(1, col[:, None])  # [F, 1]
            moving = (col != 0)[:, None]
            owner = owner.scatter(1, col[:, None],
                                  torch.where(moving, owner.gather(1, prev),
                                              owner.gather(1, col[:, None])))
            col = torch.where(moving[:, 0], prev[:, 0], col)
    # Column j (query j - 1) is held by row owner[j] (slot owner[j] - 1), free ones by row 0.
    slots = torch.arange(1, num_slots + 1, device=device)
    held = owner[:, None, 1:] == slots[None, :, None]  # [F, M, N]: slot m holds query n
    return held.long().argmax(2)
