"""TransAVS for MMSegmentation 1.x.

Importing this package registers every TransAVS module into mmseg's registries
(``mmseg.registry.MODELS``, ``DATASETS``, ``TRANSFORMS``, ``METRICS``, ``HOOKS``,
``TASK_UTILS``) and allow-lists the globals that mmengine checkpoints need for restricted
(``weights_only``) loading, and makes mmengine's local file writes (checkpoints included)
atomic. Configs load it with::

    custom_imports = dict(imports=['projects.transavs'], allow_failed_imports=False)
"""
from .engine import register_atomic_local_backend, register_checkpoint_safe_globals

register_checkpoint_safe_globals()
register_atomic_local_backend()

from . import apis, datasets, evaluation, models, structures, utils, visualization  # noqa: E402,F401,I001

__version__ = '0.1.0'
