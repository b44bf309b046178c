"""Own-video inference with a semantic model (AVSBench-semantic's 71 classes): colour PNGs,
a class overlay and class names in the summary; binary models keep their outputs."""
import json
import os
import os.path as osp
import warnings

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from PIL import Image
from tool_runs import run_tool
from video_media import HEIGHT, SR, WIDTH

from projects.transavs.apis import inference_avs, init_model, open_video_inputs, segment_video
from projects.transavs.apis import video_inference as video_inference_module
from projects.transavs.datasets.semantic_palette import AVSS_CLASSES, bit_palette, colour_to_label
from projects.transavs.visualization import draw_legend, overlay_labels

NUM_CLASSES = 71
PALETTE = bit_palette(NUM_CLASSES)
SEMANTIC = {'model.decode_head.num_classes': NUM_CLASSES}
META = dict(classes=AVSS_CLASSES, palette=PALETTE.tolist(), task='semantic')


@pytest.fixture(scope='module')
def semantic_checkpoint(config, tmp_path_factory):
    """The tiny S4 model with a 71-class head (random weights, seed 0), saved with the
    AVSBench-semantic metainfo as mmengine's runner saves it (``meta.dataset_meta``)."""
    init_default_scope('mmseg')
    torch.manual_seed(0)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(SEMANTIC)
    model = MODELS.build(cfg.model)
    path = str(tmp_path_factory.mktemp('semantic') / 'tiny_avss.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {'dataset_meta': META}}, path)
    return path


@pytest.fixture(scope='module')
def model(config, semantic_checkpoint):
    model = init_model(config, semantic_checkpoint, cfg_options=SEMANTIC)
    assert model.decode_head.num_classes == NUM_CLASSES
    assert model.dataset_meta['classes'] == AVSS_CLASSES  # from the checkpoint
    return model


def _labels(path):
    """A colour PNG decoded to class indices."""
    with Image.open(path) as image:
        assert image.mode == 'RGB'
        return colour_to_label(np.asarray(image), PALETTE, path)


def test_video_writes_colour_labels_and_class_names(model, media, tmp_path, monkeypatch):
    written = []  # the overlay frames

    class Writer(video_inference_module.OverlayWriter):
        def write(self, frame):
            written.append(frame)
            super().write(frame)

    monkeypatch.setattr(video_inference_module, 'OverlayWriter', Writer)
    out = str(tmp_path / 'out')
    summary = segment_video(model, open_video_inputs(video=media['video']), out,
                            progress=False)
    with open(osp.join(out, 'summary.json')) as f:
        assert json.load(f) == summary
    assert sorted(os.listdir(osp.join(out, 'labels_rgb'))) == [f'{i:05d}.png' for i in range(7)]
    assert len(os.listdir(osp.join(out, 'masks'))) == 7  # the probabilities, as binary models
    assert summary['num_classes'] == NUM_CLASSES
    assert summary['class_names'] == list(AVSS_CLASSES)
    assert summary['palette'] == PALETTE.tolist()

    inputs = open_video_inputs(video=media['video'])
    frames = list(inputs.frames)
    expected = inference_avs(model, frames[:5], inputs.wave[:5 * SR],
                             sample_rate=SR).pred_sem_seg.data.numpy()  # window 1
    present = set()
    for k, frame in enumerate(summary['frames']):
        assert frame['label'] == f'labels_rgb/{k:05d}.png'
        labels = _labels(osp.join(out, frame['label']))
        assert labels.shape == (HEIGHT, WIDTH) and labels.max() < NUM_CLASSES
        if k < 5:
            assert np.array_equal(labels, expected[k])
        classes = [int(c) for c in np.unique(labels) if c > 0]
        present.update(classes)
        assert frame['classes'] == [AVSS_CLASSES[c] for c in classes]
        assert frame['class_fractions'] == pytest.approx(
            {AVSS_CLASSES[c]: float((labels == c).mean()) for c in classes})
        assert frame['foreground_fraction'] == pytest.approx(float((labels > 0).mean()))
        assert written[k].shape == (HEIGHT, WIDTH, 3)
        assert np.array_equal(written[k], draw_legend(
            overlay_labels(frames[k], labels, PALETTE),
            [(AVSS_CLASSES[c], PALETTE[c]) for c in classes]))
    assert present and summary['classes_present'] == [AVSS_CLASSES[c] for c in sorted(present)]
    assert len(written) == 7


def test_without_metainfo_the_default_names(config, semantic_checkpoint, media, tmp_path):
    model = init_model(config, semantic_checkpoint, cfg_options=SEMANTIC)
    del model.dataset_meta
    summary = segment_video(model, open_video_inputs(frames_dir=media['frames'],
                                                     audio=media['wav']),
                            str(tmp_path), overlay=False, progress=False)
    assert summary['class_names'] == ['background'] + [f'class_{i}' for i in range(1, 71)]
    assert summary['palette'] == PALETTE.tolist()
    for frame in summary['frames']:
        classes = [int(c) for c in np.unique(_labels(str(tmp_path / frame['label']))) if c]
        assert frame['classes'] == [f'class_{c}' for c in classes]


def test_binary_models_write_no_class_outputs(config, tiny_checkpoint, media, tmp_path):
    summary = segment_video(init_model(config, tiny_checkpoint),
                            open_video_inputs(frames_dir=media['frames'], audio=media['wav']),
                            str(tmp_path), overlay=False, progress=False)
    assert sorted(os.listdir(tmp_path)) == ['.transavs-infer-manifest.json', 'masks',
                                          'summary.json']
    assert not {'num_classes', 'class_names', 'palette', 'classes_present'} & set(summary)
    assert all(set(f) == {'index', 'time', 'window', 'second', 'foreground_fraction', 'mask',
                          'file'} for f in summary['frames'])


def test_semantic_test_pipeline_runs(repo_root):
    """The AVSBench-semantic test pipeline (PIL decoding and resizing, label loader, zero
    padding) turned into an inference pipeline, on the tiny 71-class config."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # random weights
        model = init_model(osp.join(repo_root, 'configs/transavs_tiny_avss.py'))
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (3, 50, 70, 3), dtype=np.uint8)
    result = inference_avs(model, frames, rng.standard_normal(3 * SR).astype(np.float32),
                           sample_rate=SR)
    assert result.metainfo['img_shape'] == (96, 96) and result.metainfo['clip_seconds'] == 10
    labels = result.pred_sem_seg.data
    assert labels.shape == (3, 50, 70) and int(labels.max()) < NUM_CLASSES


def test_infer_tool_semantic_checkpoint(config, semantic_checkpoint, media, tmp_path):
    out = tmp_path / 'out'
    proc = run_tool(['infer.py', config, semantic_checkpoint, '--frames', media['frames'],
                     '--audio', media['wav'], '--out', str(out), '--device', 'cpu',
                     '--cfg-options', f'model.decode_head.num_classes={NUM_CLASSES}'],
                    cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out / 'summary.json') as f:
        summary = json.load(f)
    assert summary['class_names'] == list(AVSS_CLASSES)  # the checkpoint's metainfo
    assert (out / 'overlay.mp4').exists()
    model = init_model(config, semantic_checkpoint, cfg_options=SEMANTIC)
    expected = segment_video(model, open_video_inputs(frames_dir=media['frames'],
                                                      audio=media['wav']),
                             str(tmp_path / 'expected'), overlay=False, progress=False)
    assert summary['frames'] == expected['frames']
    for frame in summary['frames']:
        assert frame['classes'] and all(name in AVSS_CLASSES[1:] for name in frame['classes'])
        assert np.array_equal(_labels(str(out / frame['label'])),
                              _labels(str(tmp_path / 'expected' / frame['label'])))
