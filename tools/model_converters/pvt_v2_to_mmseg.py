"""Convert an official PVT-v2 checkpoint (e.g. pvt_v2_b5.pth) for mmseg's MixVisionTransformer.

Usage::

    python tools/model_converters/pvt_v2_to_mmseg.py pvt_v2_b5.pth pretrained/pvt_v2_b5_mmseg.pth

The input is read with restricted unpickling (tensors only).
"""
import argparse
import os
import os.path as osp

import torch

from projects.transavs.engine.safe_checkpoint import safe_torch_load
from projects.transavs.models.utils import convert_pvt_v2_to_mmseg


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official PVT-v2 checkpoint')
    parser.add_argument('dst', help='output checkpoint for MixVisionTransformer')
    args = parser.parse_args(argv)
    converted = convert_pvt_v2_to_mmseg(safe_torch_load(args.src))
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(converted, args.dst)
    print(f'wrote {len(converted)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
