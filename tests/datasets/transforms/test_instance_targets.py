"""ClipInstanceTargets: the criterion's instances built in the data pipeline, packed into the
data sample, and turned into the same targets as the criterion builds on the host."""
import numpy as np
import pytest
import torch
from mmseg.registry import TRANSFORMS

from projects.transavs.datasets.transforms import NO_INSTANCE, ClipInstanceTargets
from projects.transavs.models.criterion import build_frame_targets
from projects.transavs.models.criterion.targets import instance_map_targets


def _blobs(seed, frames=4, size=40, classes=2, blobs=4):
    """Random rectangles of random classes on background; some frames empty."""
    rng = np.random.RandomState(seed)
    labels = np.zeros((frames, size, size), dtype=np.uint8)
    for t in range(frames):
        for _ in range(rng.randint(0, blobs + 1)):
            y, x = rng.randint(0, size - 4, 2)
            h, w = rng.randint(1, 12, 2)
            labels[t, y:y + h, x:x + w] = rng.randint(1, classes)
    return labels


def _slot_sets(targets, frame):
    """{(label, mask bytes)} of a frame's valid slots (order-free)."""
    labels, masks, valid = (t[frame] for t in targets)
    return {(int(label), mask.numpy().tobytes())
            for label, mask, ok in zip(labels, masks, valid) if ok}


@pytest.mark.parametrize('mode,classes', [('components', 2), ('semantic', 2),
                                          ('components', 5), ('semantic', 5)])
def test_same_instances_as_the_criterion_builds(mode, classes):
    for seed in range(6):
        labels = _blobs(seed, classes=classes)
        labels[1, :2, :2] = 255  # ignored pixels belong to no instance
        valid = [True, True, False, True]
        out = ClipInstanceTargets(mode=mode, max_instances=16, num_classes=classes)(
            dict(gt_masks=labels, gt_valid=valid, video_name='v'))
        assert out['gt_instance_map'].dtype == np.uint8
        assert out['gt_instance_labels'].shape == (4, 16)
        assert out['instance_mode'] == mode and out['instance_num_classes'] == classes
        ours = instance_map_targets(torch.from_numpy(out['gt_instance_map']),
                                    torch.from_numpy(out['gt_instance_labels']),
                                    torch.tensor(valid))
        host = build_frame_targets(torch.from_numpy(labels), torch.tensor(valid), classes,
                                   mode)
        for t in range(4):
            assert _slot_sets(ours, t) == _slot_sets(host, t), (seed, t)
            # slots packed from the first, background (class 0) first when present
            count = int(ours.valid[t].sum())
            assert bool(ours.valid[t, :count].all())
        assert (out['gt_instance_map'][2] == NO_INSTANCE).all()  # unannotated frame
        assert (out['gt_instance_labels'][2] == -1).all()
        assert (out['gt_instance_map'][1, :2, :2] == NO_INSTANCE).all()


def test_binary_masks_of_any_value_are_sounding():
    labels = np.zeros((1, 8, 8), dtype=np.uint8)
    labels[0, :3, :3] = 255 - 1  # e.g. an unbinarised 0/254 mask
    labels[0, 5:, 5:] = 1
    out = ClipInstanceTargets(max_instances=4)(dict(gt_masks=labels))
    assert out['gt_instance_labels'][0].tolist() == [0, 1, 1, -1]


def test_too_many_components_fall_back_to_one_instance_per_class():
    labels = np.zeros((2, 20, 20), dtype=np.uint8)
    for i in range(5):  # five separate squares in frame 0
        labels[0, 4 * i:4 * i + 2, 0:2] = 1
    labels[1, :5, :5] = 1
    transform = ClipInstanceTargets(mode='components', max_instances=4)
    with pytest.warns(UserWarning, match=r"clip 'v7'.*frame 0: 6 components instances, given "
                      r'one instance per class \(2\)'):
        out = transform(dict(gt_masks=labels, video_name='v7'))
    assert out['gt_instance_labels'].tolist() == [[0, 1, -1, -1], [0, 1, -1, -1]]
    assert np.array_equal(out['gt_instance_map'][0] == 1, labels[0] == 1)  # no pixel lost


def test_too_many_classes_drop_the_smallest_with_a_warning():
    labels = np.zeros((1, 10, 10), dtype=np.uint8)
    labels[0, 0:5, 0:5] = 1  # 25 pixels
    labels[0, 6:8, 6:8] = 2  # 4 pixels
    labels[0, 9, 9] = 3  # 1 pixel
    transform = ClipInstanceTargets(mode='semantic', max_instances=2, num_classes=4)
    with pytest.warns(UserWarning, match=r"clip 'v' \(s4/train\).*frame 0: 4 semantic "
                      r'instances, dropped class 2 \(4 pixels\), class 3 \(1 pixels\)'):
        out = transform(dict(gt_masks=labels, video_name='v', subset='s4', split='train'))
    # background (70 pixels) and class 1 (25) kept, in class order
    assert out['gt_instance_labels'][0].tolist() == [0, 1]
    assert out['gt_instance_map'][0, 9, 9] == NO_INSTANCE
    assert out['gt_instance_map'][0, 7, 7] == NO_INSTANCE


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='mode must be one of'):
        ClipInstanceTargets(mode='union')
    with pytest.raises(ValueError, match=r'max_instances must be an int in \[2, 255\]'):
        ClipInstanceTargets(max_instances=1)
    with pytest.raises(KeyError, match='after the mask loading'):
        ClipInstanceTargets()(dict(video_name='v'))
    with pytest.raises(ValueError, match='gt_valid has 2 flags for 3 frames'):
        ClipInstanceTargets()(dict(gt_masks=np.zeros((3, 4, 4)), gt_valid=[True, True]))
    labels = np.zeros((2, 4, 4), dtype=np.uint8)
    labels[1, 0, 0] = 9
    with pytest.raises(ValueError, match=r"clip 'v3' frame 1: ground-truth labels \[9\]"):
        ClipInstanceTargets(mode='semantic', num_classes=5)(dict(gt_masks=labels,
                                                                 video_name='v3'))


def _pack_results(**extra):
    rng = np.random.RandomState(0)
    gt = np.zeros((3, 6, 8), dtype=np.uint8)
    gt[0, :2, :2] = 1
    gt[0, 4:, 5:] = 1
    results = dict(frames=rng.randint(0, 256, size=(3, 6, 8, 3), dtype=np.uint8),
                   gt_masks=gt, audio_log_mel=torch.randn(3, 1, 96, 64), video_name='v',
                   gt_valid=[True, True, True])
    results.update(extra)
    return results


def test_packed_into_the_data_sample():
    pipeline = [TRANSFORMS.build(dict(type='ClipInstanceTargets', max_instances=5)),
                TRANSFORMS.build(dict(type='PackAVSInputs'))]
    results = _pack_results()
    for step in pipeline:
        results = step(results)
    sample = results['data_samples']
    assert sample.gt_instance_map.data.dtype == torch.uint8
    assert sample.gt_instance_map.data.shape == (3, 6, 8)
    assert sample.gt_instance_labels.dtype == torch.long
    assert sample.gt_instance_labels[0].tolist() == [0, 1, 1, -1, -1]
    assert sample.gt_instance_labels[1].tolist() == [0, -1, -1, -1, -1]
    assert sample.metainfo['instance_mode'] == 'components'
    assert sample.metainfo['instance_num_classes'] == 2
    moved = sample.to('cpu')  # a data field: moved with the batch by the data preprocessor
    assert torch.equal(moved.gt_instance_labels, sample.gt_instance_labels)


def test_pack_refuses_stale_or_partial_instances():
    pack = TRANSFORMS.build(dict(type='PackAVSInputs'))
    out = ClipInstanceTargets()(_pack_results())
    with pytest.raises(ValueError, match='after every step that resizes or crops'):
        pack(dict(out, gt_instance_map=out['gt_instance_map'][:, :3]))
    with pytest.raises(KeyError, match='only one of gt_instance_map'):
        pack({k: v for k, v in out.items() if k != 'gt_instance_labels'})
    # negative audio after the labelling: the instances of the real audio are stale
    stale = dict(out, gt_masks=np.zeros_like(out['gt_masks']), audio_condition='silence')
    with pytest.raises(ValueError, match='after the negative-audio transform'):
        pack(stale)


def test_after_negative_audio_only_the_background_is_an_instance():
    """Negative audio empties the target: annotated frames keep one instance, the background,
    which PackAVSInputs accepts."""
    results = _pack_results(audio_path=None)
    steps = [TRANSFORMS.build(dict(type='SilenceAudio')),
             TRANSFORMS.build(dict(type='ClipInstanceTargets', max_instances=4)),
             TRANSFORMS.build(dict(type='PackAVSInputs'))]
    for step in steps:
        results = step(results)
    sample = results['data_samples']
    assert sample.metainfo['audio_condition'] == 'silence'
    assert sample.gt_instance_labels.tolist() == [[0, -1, -1, -1]] * 3
    assert (sample.gt_instance_map.data == 0).all()
