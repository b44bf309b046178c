"""Test (evaluate) a checkpoint on a config's test set, as mmseg's tools/test.py.

Examples::

    python tools/test.py configs/transavs_r50_s4.py work_dirs/transavs_r50_s4/iter_90000.pth
    python tools/test.py CONFIG CKPT --out preds/ --show-dir vis/
    python tools/test.py CONFIG CKPT --robustness            # + silence, noise, off-screen
    python tools/test.py CONFIG CKPT --robustness silence noise --noise-color pink
    tools/dist_test.sh CONFIG CKPT 8
"""
import argparse
import sys

import projects.transavs  # noqa: F401  (registers the modules)
from projects.transavs.datasets.transforms import NEGATIVE_CONDITIONS
from projects.transavs.engine import (
    CheckpointMismatchError,
    ConfigOptionError,
    CorruptCheckpointError,
    NonFiniteCheckpointError,
    build_runner,
    close_distributed,
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
    parser.add_argument(
        '--robustness',
        nargs='*',
        choices=NEGATIVE_CONDITIONS,
        metavar='CONDITION',
        help='negative-audio robustness (AVSBench-Robust): test once with the true audio and '
        'once per condition (default: all of ' + ', '.join(NEGATIVE_CONDITIONS) + '), whose '
        'ground truth is empty, and print one table: mJ / mF, the false positive rate of '
        'each condition, G-FPR, G-mJ, G-mF (test_cfg type RobustnessTestLoop)')
    parser.add_argument(
        '--robustness-seed', type=int, default=None,
        help='seed of the noise and of the off-screen choice (default: the config\'s, or 0)')
    parser.add_argument(
        '--noise-color', choices=('white', 'pink', 'brown'), default=None,
        help='colour of the "noise" condition (default: the config\'s, or white)')
    parser.add_argument(
        '--noise-db', type=float, default=None,
        help='level of the "noise" condition relative to the clip\'s own audio, in dB '
        '(default: the config\'s, or 0)')
    args = parse_run_args(parser, argv)
    if args.robustness is None and (args.robustness_seed is not None or
                                    args.noise_color is not None or args.noise_db is not None):
        parser.error('--robustness-seed, --noise-color and --noise-db need --robustness')
    return args


def set_robustness(cfg, args):
    """Makes the config's test loop a ``RobustnessTestLoop`` with the options given.

    Settings of a config that already has one (``test_cfg=dict(type='RobustnessTestLoop',
    ...)``) are kept unless an option overrides them; ``--robustness`` without conditions
    keeps the config's conditions, or takes all three.
    """
    test_cfg = dict(cfg.get('test_cfg') or {})
    if test_cfg.get('type') != 'RobustnessTestLoop':
        test_cfg = dict(type='RobustnessTestLoop', fp16=test_cfg.get('fp16', False))
    if args.robustness:
        test_cfg['conditions'] = list(dict.fromkeys(args.robustness))
    if args.robustness_seed is not None:
        test_cfg['seed'] = args.robustness_seed
    noise = dict(test_cfg.get('noise') or {})
    if args.noise_color is not None:
        noise['color'] = args.noise_color
    if args.noise_db is not None:
        noise['level_db'] = args.noise_db
    if noise:
        test_cfg['noise'] = noise
    cfg.test_cfg = test_cfg
    return cfg


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
    if args.robustness is not None:
        cfg = set_robustness(cfg, args)

    runner = build_runner(cfg)
    try:
        runner.test()
    finally:
        close_distributed()


if __name__ == '__main__':
    try:
        main()
    except (CheckpointMismatchError, ConfigOptionError, CorruptCheckpointError,
            NonFiniteCheckpointError,
            FileNotFoundError) as error:
        sys.exit(f'test.py: error: {error}')
