"""TransAVS for MMSegmentation 1.x.

Importing this package registers the TransAVS modules and does nothing else. Into mmseg's
registries: ``MODELS`` (segmentor, head, criterion, losses, pixel decoder, VGGish, data
preprocessor), ``DATASETS``, ``TRANSFORMS``, ``METRICS``, ``HOOKS``, ``VISUALIZERS`` and
``RUNNERS`` (``AVSRunner``: restricted checkpoint loading, crash-safe saving); into
mmengine's: ``OPTIM_WRAPPERS`` (``CPUAmpOptimWrapper``) and ``MODEL_WRAPPERS``
(``CPUDistributedDataParallel``). Configs load it with::

    custom_imports = dict(imports=['projects.transavs'], allow_failed_imports=False)
"""
from . import (  # noqa: F401,E501
    apis,
    datasets,
    engine,
    evaluation,
    models,
    structures,
    utils,
    visualization,
)

__version__ = '0.1.0'
