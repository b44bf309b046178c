"""tools/test.py --show-dir on AVSBench-semantic: the runner gives the visualizer the data
set's classes and palette, so the pictures are drawn in class colours with a legend, and the
padded frames of v1 clips are left out."""
import os.path as osp

import mmcv
import numpy as np
import torch
from avss_release import write_release
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from tool_runs import ROOT, run_tool

from projects.transavs.datasets.semantic_palette import bit_palette

PALETTE = bit_palette(71)
SIZE = 64  # the network input (crop) of the test config
GT_CLASSES = (17, 41)  # dog, man
CLIPS = [('v1s', 's_a', 'test'), ('v2', 'n_a', 'test')]  # (subset, uid, split)

CONFIG = '''
_base_ = [{base!r}]
data_root = {data_root!r}
crop_size = ({size}, {size})
test_pipeline = [dict(step, scale=crop_size) if 'scale' in step else step
                 for step in _base_.test_pipeline]
test_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                       dataset=dict(data_root=data_root, split='test', pipeline=test_pipeline))
'''


def _has_colour(img, colour):
    return bool((img.reshape(-1, 3) == np.asarray(colour, np.uint8)).all(1).any())


def test_show_dir_draws_semantic_pictures(tmp_path):
    root = str(tmp_path / 'avss')
    write_release(root, CLIPS, GT_CLASSES)
    config = str(tmp_path / 'tiny_avss_test.py')
    with open(config, 'w') as f:
        f.write(CONFIG.format(base=osp.join(ROOT, 'configs', 'transavs_tiny_avss.py'),
                              data_root=root, size=SIZE))
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    checkpoint = str(tmp_path / 'random.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)

    vis = tmp_path / 'vis'
    proc = run_tool(['test.py', config, checkpoint, '--work-dir', str(tmp_path / 'work'),
                     '--show-dir', str(vis)], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    pictures = {p.name.rsplit('_', 1)[0]: mmcv.imread(str(p), channel_order='rgb')
                for p in vis.rglob('*.png')}
    assert sorted(pictures) == ['n_a', 's_a']
    grid_h = 2 * SIZE + 2  # ground truth and prediction rows
    for uid, columns in (('s_a', 5), ('n_a', 10)):  # v1s: 5 real frames of 10
        picture = pictures[uid]
        grid_w = columns * (SIZE + 2) - 2
        assert picture.shape[0] > grid_h and picture.shape[1] >= grid_w  # a legend below
        assert (picture[:grid_h, grid_w:] == 255).all()  # no column for padded frames
        assert (picture[:grid_h, grid_w - 1] != 255).any()
        legend = picture[grid_h + 2:]
        for cls in GT_CLASSES:  # the ground truth's classes have swatches
            assert _has_colour(legend, PALETTE[cls])
