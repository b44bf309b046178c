"""Ground-truth instances per frame (semantic, components, union) on hand-made masks."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.models.decode_heads.mask2former_head import Mask2FormerHead
from mmseg.structures import SegDataSample

from projects.transavs.models.criterion import build_frame_targets, targets_to_instances


def _frames():
    """Five 6x6 binary frames: object, silent, all sounding, object (unannotated), two
    separate objects."""
    gt = torch.zeros(5, 6, 6, dtype=torch.uint8)
    gt[0, 1:3, 1:4] = 1
    gt[2] = 1
    gt[3, 0:2, 0:2] = 1
    gt[4, 0:2, 0:2] = 1
    gt[4, 4:6, 3:6] = 1
    valid = torch.tensor([True, True, True, False, True])
    return gt, valid


def _as_sets(instances):
    """Per frame: {(label, mask bytes)}, order-free."""
    return [{(int(label), mask.bool().numpy().tobytes())
             for label, mask in zip(inst.labels, inst.masks)} for inst in instances]


def test_semantic_binary_slots():
    gt, valid = _frames()
    targets = build_frame_targets(gt, valid, num_classes=2, mode='semantic')
    assert targets.labels.tolist() == [[0, 1]] * 5  # slot 0 background, slot 1 sounding
    assert targets.valid.tolist() == [
        [True, True],  # object on background
        [True, False],  # silent annotated frame: background only
        [False, True],  # all sounding: no background instance
        [False, False],  # not annotated: no instance, whatever its mask says
        [True, True],  # two objects: one "sounding" instance (their union)
    ]
    assert torch.equal(targets.masks[0, 1], gt[0].bool())
    assert torch.equal(targets.masks[0, 0], ~gt[0].bool())
    assert torch.equal(targets.masks[4, 1], gt[4].bool())


def test_semantic_equals_mmseg_mask2former_instances():
    """As mmseg's ``Mask2FormerHead._seg_data_to_instance_data`` on the annotated frames
    (background = class 0, ignore 255 excluded)."""
    gt, valid = _frames()
    gt[0, 5, 5] = 255  # an ignored pixel is in no instance
    samples = []
    for frame in gt[valid]:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=frame[None].long())
        samples.append(sample)
    reference, _ = Mask2FormerHead._seg_data_to_instance_data(
        SimpleNamespace(ignore_index=255), samples)
    ours = targets_to_instances(build_frame_targets(gt.long(), valid, 2, 'semantic'))
    ours = [inst for inst, v in zip(ours, valid) if v]
    assert _as_sets(ours) == _as_sets(reference)
    assert len(ours[0]) == 2 and not ours[0].masks[:, 5, 5].any()


def test_components_split_each_sounding_region():
    gt, valid = _frames()
    gt[0, 4, 4] = 1  # apart from the (1:3, 1:4) block: a second, one-pixel component
    gt[1, 3, 3] = 1
    gt[1, 4, 4] = 1  # diagonal neighbours: one component (8-connectivity)
    targets = build_frame_targets(gt, valid, num_classes=2, mode='components')
    counts = targets.valid.sum(1).tolist()
    assert counts == [3, 2, 1, 0, 3]
    assert targets.labels.shape[1] == 3  # padded to the largest frame
    frame4 = targets_to_instances(targets)[4]
    assert frame4.labels.tolist() == [0, 1, 1]
    areas = sorted(int(m.sum()) for m in frame4.masks[1:])
    assert areas == [4, 6]
    # The components tile the sounding pixels exactly, and the background is one instance.
    assert torch.equal(frame4.masks[1:].sum(0).bool(), gt[4].bool())
    assert torch.equal(frame4.masks[0].bool(), ~gt[4].bool())


def test_union_is_one_sounding_instance_without_background():
    gt, valid = _frames()
    targets = build_frame_targets(gt, valid, num_classes=2, mode='union')
    assert targets.labels.tolist() == [[1]] * 5
    assert targets.valid[:, 0].tolist() == [True, False, True, False, True]
    assert torch.equal(targets.masks[4, 0], gt[4].bool())


def test_multi_class_semantic_and_errors():
    gt = torch.zeros(2, 4, 4, dtype=torch.long)
    gt[0, :2, :2] = 3
    gt[0, 2:, 2:] = 5
    gt[0, 0, 3] = 255
    gt[1] = 5
    targets = build_frame_targets(gt, torch.tensor([True, True]), num_classes=6)
    instances = targets_to_instances(targets)
    assert instances[0].labels.tolist() == [0, 3, 5]
    assert instances[1].labels.tolist() == [5]
    assert int(instances[0].masks.sum()) == 15  # every pixel but the ignored one
    with pytest.raises(ValueError, match=r'outside \[0, 4\)'):
        build_frame_targets(gt, torch.tensor([True, True]), num_classes=4)
    with pytest.raises(ValueError, match='binary'):
        build_frame_targets(gt, torch.tensor([True, True]), num_classes=6, mode='union')
    with pytest.raises(ValueError, match='gt_instances'):
        build_frame_targets(gt, torch.tensor([True, True]), num_classes=6, mode='instance')


def test_binary_labels_any_nonzero_is_sounding():
    """With two classes any non-zero label other than ignore_index means "sounding" (here
    1 or 255 with ignore_index 254), and every mode reads them alike."""
    gt, valid = _frames()
    for mode in ('semantic', 'components'):
        a = build_frame_targets(gt, valid, 2, mode, ignore_index=254)
        b = build_frame_targets(gt * 255, valid, 2, mode, ignore_index=254)
        for x, y in zip(a, b):
            assert torch.equal(x, y), mode
