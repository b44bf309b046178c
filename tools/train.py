"""Train a TransAVS model (or any mmseg model) from a config, as mmseg's tools/train.py.

Examples::

    python tools/train.py configs/transavs_r50_s4.py
    python tools/train.py configs/transavs_r50_s4.py --amp --amp-dtype bfloat16
    python tools/train.py configs/transavs_r50_s4.py --compile reduce-overhead
    tools/dist_train.sh configs/transavs_swin-b_s4.py 8
"""
import argparse
import logging
import sys

import torch
from mmengine.logging import print_log

import projects.transavs  # noqa: F401  (registers the modules)
from projects.transavs.engine import (
    CheckpointMismatchError,
    ConfigOptionError,
    CorruptCheckpointError,
    DataLoaderWorkerDied,
    NonFiniteCheckpointError,
    NonFiniteLossError,
    TrainingInterrupted,
    build_runner,
    close_distributed,
    load_run_config,
    parse_run_args,
)
from projects.transavs.engine.run_config import enable_model_compile
from projects.transavs.models.segmentors import COMPILE_MODES
from projects.transavs.utils import DiskFullError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a TransAVS segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--amp-dtype',
        choices=['float16', 'bfloat16'],
        default=None,
        help='autocast dtype with --amp (default: float16 with dynamic loss '
        'scaling; bfloat16 needs no loss scaling)')
    parser.add_argument(
        '--compile',
        nargs='?',
        const='default',
        choices=COMPILE_MODES,
        default=None,
        metavar='MODE',
        help='torch.compile the model (its compile option: the training forward as one '
        'graph, fullgraph; \'components\' targets need ClipInstanceTargets in the train '
        'pipeline, as the shipped configs have); MODE is the '
        f'torch.compile mode, one of {", ".join(COMPILE_MODES)} (default: default; '
        'reduce-overhead captures CUDA graphs)')
    return parse_run_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_run_config(args.config, args.cfg_options, args.launcher,
                          args.work_dir)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if not torch.cuda.is_available() and optim_wrapper in ('OptimWrapper',
                                                               'AmpOptimWrapper'):
            # mmengine's AmpOptimWrapper needs a GPU: bfloat16 autocast on the CPU instead.
            cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
            cfg.optim_wrapper.dtype = args.amp_dtype or 'bfloat16'
            cfg.optim_wrapper.pop('loss_scale', None)
        elif optim_wrapper == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in your config.',
                      logger='current', level=logging.WARNING)
        else:
            assert optim_wrapper == 'OptimWrapper', (
                '`--amp` is only supported when the optimizer wrapper type is '
                f'`OptimWrapper` but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        if args.amp_dtype is not None:
            cfg.optim_wrapper.dtype = args.amp_dtype
            if args.amp_dtype == 'bfloat16':
                cfg.optim_wrapper.pop('loss_scale', None)
    if args.compile:
        enable_model_compile(cfg, args.compile)
    cfg.resume = args.resume

    runner = build_runner(cfg)
    try:
        runner.train()
    finally:
        close_distributed()


if __name__ == '__main__':
    try:
        main()
    except (CheckpointMismatchError, ConfigOptionError, CorruptCheckpointError,
            NonFiniteCheckpointError,
            NonFiniteLossError, FileNotFoundError, DiskFullError,
            DataLoaderWorkerDied) as error:
        sys.exit(f'train.py: error: {error}')
    except TrainingInterrupted as stop:
        print(f'train.py: {stop}', file=sys.stderr)
        sys.exit(128 + stop.signum)
