"""Checks, before a run's first step, that the model predicts the data set's classes.

A model whose class count differs from its data set's (``num_classes=3`` on S4, 60 on
AVSBench-semantic, or a 50-class ``label2idx.json`` for the 71-class model) otherwise trains
silently with class slots that never get a label, or fails only at the first validation, thousands
of iterations in, with a message that names neither the file nor the config key. This hook
compares ``model.decode_head.num_classes`` with the ``classes`` of each loader's data set
(``metainfo``: S4 / MS3 ``('background', 'sounding')``, AVSBench-semantic the keys of its
``label2idx.json``) before training, validation and testing start, and stops with both named.
"""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

__all__ = ['ClassCountCheckHook', 'class_count_mismatch']


def class_count_mismatch(model, dataset, loader: str) -> Optional[str]:
    """What is wrong when ``model`` cannot predict ``dataset``'s classes, or None.

    Args:
        model (nn.Module): the model (unwrapped); its ``decode_head.num_classes`` is ``K``.
        dataset: the loader's data set (its ``metainfo['classes']``).
        loader (str): the loader's config key, for the message.
    """
    head = getattr(model, 'decode_head', None)
    num_classes = getattr(head, 'num_classes', None)
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    if num_classes is None or not classes or len(classes) == int(num_classes):
        return None
    source = getattr(dataset, 'label_index', None)
    where = (f'{source}, the label index of {type(dataset).__name__}' if source else
             f'the classes of {type(dataset).__name__} ({", ".join(map(str, classes[:4]))}'
             f'{", ..." if len(classes) > 4 else ""})')
    return (f'{loader}: the data set has {len(classes)} classes ({where}), but the model '
            f'predicts {num_classes} (model.decode_head.num_classes); make them equal (the '
            'AVSBench-semantic configs: 71, with the release\'s label2idx.json; S4 / MS3: 2)')


@HOOKS.register_module()
class ClassCountCheckHook(Hook):
    """Stops a run whose model and data sets disagree on the number of classes, at its start
    (before training, validation or testing), naming the data set's class source and the
    config key ``model.decode_head.num_classes``."""

    priority = 'VERY_HIGH'

    def _check(self, runner, loader: str) -> None:
        dataloader = getattr(runner, loader, None)
        dataset = getattr(dataloader, 'dataset', None)
        if dataset is None:  # a loader that is not built (yet): nothing to compare
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        problem = class_count_mismatch(model, dataset, loader)
        if problem:
            raise ValueError(problem)

    def before_train(self, runner) -> None:
        self._check(runner, 'train_dataloader')
        if runner.val_loop is not None:
            self._check(runner, 'val_dataloader')

    def before_val(self, runner) -> None:
        self._check(runner, 'val_dataloader')

    def before_test(self, runner) -> None:
        self._check(runner, 'test_dataloader')
