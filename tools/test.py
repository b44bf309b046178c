"""Test (evaluate) a checkpoint on a config's test set, as mmseg's tools/test.py.

Examples::

    python tools/test.py configs/transavs_r50_s4.py work_dirs/transavs_r50_s4/iter_90000.pth
    python tools/test.py CONFIG CKPT --out preds/ --show-dir vis/
    tools/dist_test.sh CONFIG CKPT 8
"""
import argparse
import sys

import projects.transavs  # noqa: F401  (registers the modules)
from projects.transavs.engine import (
    CheckpointMismatchError,
    CorruptCheckpointError,
    build_runner,
    load_run_config,
    parse_run_args,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Test (and eval) a TransAVS model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='if specified, the evaluation metric results will be dumped '
        'into the directory as json')
    parser.add_argument(
        '--out',
        type=str,
        help='directory to save the predicted masks (PNG, foreground '
        'probability x 255, at the ground truth\'s relative paths); '
        'tools/evaluate_masks.py scores them')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved. If specified, it '
        'will be automatically saved to the work_dir/timestamp/show_dir')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='load a checkpoint that does not fit the model entirely (only the fitting '
        'weights; a warning counts the rest); without it such a checkpoint is an error')
    return parse_run_args(parser, argv)


def trigger_visualization_hook(cfg, args):
    """Switches the config's visualization hook on for ``--show``/``--show-dir``."""
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            f'{cfg.filename}: --show/--show-dir need a "visualization" hook in '
            'default_hooks (e.g. dict(type="AVSVisualizationHook")).')
    hook = default_hooks['visualization']
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = load_run_config(args.config, args.cfg_options, args.launcher,
                          args.work_dir)
    cfg.load_from = args.checkpoint
    if args.partial_load:
        cfg.load_from_partial = True
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out

    runner = build_runner(cfg)
    runner.test()


if __name__ == '__main__':
    try:
        main()
    except (CheckpointMismatchError, CorruptCheckpointError) as error:
        sys.exit(f'test.py: error: {error}')
