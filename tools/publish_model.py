"""Publish a training checkpoint: weights (CPU) and plain metadata only, sha256 in the name.

As OpenMMLab's ``tools/misc/publish_model.py``: the optimizer, scheduler states and message hub
are dropped, ``meta`` keeps ``dataset_meta``, the config text and the versions, and the file is
named ``{OUT without .pth}-{first 8 hex digits of its sha256}.pth``. The result loads with plain
``torch.load(f, weights_only=True)``, mmengine's ``load_checkpoint`` and mmseg's own
``tools/test.py`` (``mim test mmseg``), which refuse the training checkpoints in ``work_dirs``
on torch >= 2.6. A checkpoint with NaN or infinite weights is refused.

Example::

    python tools/publish_model.py work_dirs/transavs_r50_s4/best_mJ_iter_90000.pth \\
        transavs_r50_s4.pth
"""
import argparse
import sys

from projects.transavs.engine import (
    CorruptCheckpointError,
    UnsafeCheckpointError,
    publish_checkpoint,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Publish a TransAVS checkpoint (weights and plain metadata only)')
    parser.add_argument('in_file', help='input checkpoint (e.g. work_dirs/.../iter_90000.pth)')
    parser.add_argument('out_file', help='output name; "-<sha256[:8]>" is added before .pth')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        final = publish_checkpoint(args.in_file, args.out_file)
    except (FileNotFoundError, FileExistsError, ValueError, CorruptCheckpointError,
            UnsafeCheckpointError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(final)
    return 0


if __name__ == '__main__':
    sys.exit(main())
