"""The demo's texts: the metrics tables and how much AQDL / AQML acted in training."""
from typing import Dict, Sequence, Tuple

from mmengine.logging import MessageHub

__all__ = [
    'ACTIVITY_KEYS', 'loss_activity', 'activity_text', 'table', 'semantic_table',
    'robustness_md'
]

#: the per-iteration scalars of the self-supervised losses and their query sets
ACTIVITY_KEYS = ('loss_aqdl', 'loss_aqml', 'aqdl_s1', 'aqml_s2')


def loss_activity(message_hub: MessageHub, skip_fraction: float = 0.1) -> Dict[str, float]:
    """How much AQDL / AQML acted in training.

    From the per-iteration histories after the first ``skip_fraction`` of the run: for each
    loss the fraction of iterations where it was non-zero and its mean, and the mean sizes of
    ``S_1`` / ``S_2`` per frame.

    Args:
        message_hub (MessageHub): The training run's hub (``train/{key}`` scalars).
        skip_fraction (float): The start of the run left out. Defaults to 0.1.

    Returns:
        dict[str, float]: ``{loss}_nonzero`` and ``{key}_mean`` for the keys logged (a loss
        that is off logs nothing).
    """
    stats = {}
    for key in ACTIVITY_KEYS:
        if f'train/{key}' not in message_hub.log_scalars:
            continue  # the loss is off
        values = message_hub.get_scalar(f'train/{key}').data[0]
        values = values[int(len(values) * skip_fraction):]
        if key.startswith('loss'):
            stats[f'{key}_nonzero'] = float((values > 0).mean())
        stats[f'{key}_mean'] = float(values.mean())
    return stats


def activity_text(stats: Dict[str, float]) -> str:
    """One sentence on :func:`loss_activity`'s statistics.

    Args:
        stats (dict[str, float]): From :func:`loss_activity`.

    Returns:
        str: The sentence, with a final newline.
    """
    parts = []
    for loss, size, name, set_name in (('loss_aqdl', 'aqdl_s1', 'AQDL', 'S1'),
                                       ('loss_aqml', 'aqml_s2', 'AQML', 'S2')):
        if f'{loss}_nonzero' in stats:
            parts.append(f'{name} non-zero in {100 * stats[f"{loss}_nonzero"]:.0f}% of the '
                         f'iterations (mean |{set_name}| {stats[f"{size}_mean"]:.2f} queries '
                         'per frame)')
        else:
            parts.append(f'{name} off')
    return ('Self-supervised losses after the first tenth of training: ' + '; '.join(parts) +
            '.\n')


def table(rows: Sequence[Tuple[str, dict]]) -> str:
    """The markdown metrics table.

    Args:
        rows (Sequence[tuple[str, dict]]): ``(method, {subset: dict(mJ, mF, ...)})``.

    Returns:
        str: The table, with a final newline.
    """
    header = ('| method | S4 mJ | S4 mF | MS3 mJ | MS3 mF |\n'
              '|---|---|---|---|---|\n')
    lines = [f'| {name} | {m["s4"]["mJ"]:.3f} | {m["s4"]["mF"]:.3f} | {m["ms3"]["mJ"]:.3f} | '
             f'{m["ms3"]["mF"]:.3f} |' for name, m in rows]
    return header + '\n'.join(lines) + '\n'


def semantic_table(rows: Sequence[Tuple[str, dict]]) -> str:
    """The markdown table of the semantic (AVSBench-semantic) part.

    Args:
        rows (Sequence[tuple[str, dict]]): ``(method, AVSSMetric's metrics)``.

    Returns:
        str: The table, with a final newline: the official mIoU / mF (mean over all classes,
        those absent from the data counting 0) and the means over the classes present.
    """
    header = ('| method | mIoU | mF | mIoU (classes present) | mF (classes present) |\n'
              '|---|---|---|---|---|\n')
    lines = [f'| {name} | {m["mIoU"]:.3f} | {m["mF"]:.3f} | {m["mIoU_present"]:.3f} | '
             f'{m["mF_present"]:.3f} |' for name, m in rows]
    return header + '\n'.join(lines) + '\n'


def robustness_md(rows: Sequence[Tuple[str, dict]], conditions: Sequence[str],
                  score_keys: Sequence[str] = ('mJ', 'mF'),
                  subsets: Sequence[str] = ()) -> str:
    """The markdown table of the negative-audio evaluation (AVSBench-Robust).

    Args:
        rows (Sequence[tuple[str, dict]]): ``(method, metrics)``; the metrics hold the
            positive scores, ``FPR/{condition}``, ``G-FPR`` and ``G-{score}`` (with
            ``{subset}/`` prefixes when ``subsets`` are given).
        conditions (Sequence[str]): The negative conditions, in column order.
        score_keys (Sequence[str]): The positive scores. Defaults to ``('mJ', 'mF')``.
        subsets (Sequence[str]): One line per method and subset (else one per method).

    Returns:
        str: The table, with a final newline.
    """
    columns = (list(score_keys) + [f'FPR {c}' for c in conditions] + ['G-FPR'] +
               [f'G-{k}' for k in score_keys])
    keys = (list(score_keys) + [f'FPR/{c}' for c in conditions] + ['G-FPR'] +
            [f'G-{k}' for k in score_keys])
    first = ['method'] + (['subset'] if subsets else [])
    lines = ['| ' + ' | '.join(first + columns) + ' |',
             '|' + '---|' * (len(first) + len(columns))]
    for name, metrics in rows:
        for subset in subsets or (None, ):
            prefix = f'{subset}/' if subset else ''
            cells = [name] + ([subset.upper()] if subset else [])
            cells += [f'{metrics[prefix + k]:.3f}' for k in keys]
            lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
