"""`make demo` and the ablation: a tiny TransAVS trained and evaluated on synthetic
AVSBench-format data on the CPU (``tools/demo.py`` and ``tools/ablation.py`` are the command
lines; docs/en/get_started.md (the demo) and docs/en/advanced_guides/ablation.md show the results).

- :mod:`.config`: the demo configs pointed at the generated data (:func:`build_config`,
  :func:`build_avss_config`);
- :mod:`.data`: the synthetic S4 and MS3 sets (:func:`make_data`) and the AVSBench-semantic
  set (:func:`make_avss_data`);
- :mod:`.scoring`: the official metrics of a trained runner (:func:`evaluate`), with the true
  and with negative audio (:func:`evaluate_robustness`), and the audio-blind "segment every
  object" reference (:func:`every_object_reference`);
- :mod:`.report`: the metrics tables and the AQDL / AQML activity (:func:`loss_activity`);
- :mod:`.run`: the demo end to end (:func:`run_demo`);
- :mod:`.ablation`: the benchmarks and their variants, one run (:func:`run_variant`) and the
  table (:func:`run_ablation`); the per-object recall of a trained runner is
  :func:`object_recall`.

Importing this package registers nothing beyond what ``projects.transavs`` registers.
"""
from .ablation import (
    BENCHMARKS,
    HARD_VARIANTS,
    ITERS,
    TABLE_VARIANTS,
    VARIANTS,
    run_ablation,
    run_variant,
    summarize,
)
from .config import AVSS_CONFIG, CONFIG, SUBSETS, build_avss_config, build_config
from .data import make_avss_data, make_data
from .report import (
    ACTIVITY_KEYS,
    activity_text,
    loss_activity,
    robustness_md,
    semantic_table,
    table,
)
from .run import run_demo
from .scoring import (
    evaluate,
    evaluate_robustness,
    every_object_reference,
    object_recall,
    per_subset,
)

__all__ = [
    'CONFIG', 'AVSS_CONFIG', 'SUBSETS', 'build_config', 'build_avss_config', 'make_data',
    'make_avss_data', 'evaluate', 'evaluate_robustness', 'every_object_reference', 'per_subset',
    'semantic_table', 'robustness_md', 'ACTIVITY_KEYS', 'loss_activity', 'activity_text',
    'table', 'run_demo',
    'ITERS', 'VARIANTS', 'TABLE_VARIANTS', 'HARD_VARIANTS', 'BENCHMARKS', 'run_variant',
    'summarize', 'run_ablation', 'object_recall'
]
