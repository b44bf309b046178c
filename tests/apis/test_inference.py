"""init_model and inference_avs: one clip of your own frames and audio through a TransAVS model."""
import copy
import os.path as osp
import warnings

import mmcv
import numpy as np
import pytest
import soundfile
import torch
import torch.nn.functional as F
from mmengine.config import Config

from projects.transavs.apis import (
    inference_avs,
    init_model,
    pipeline_audio_pad_mode,
    pipeline_frame_scale,
)
from projects.transavs.datasets.transforms import pad_or_crop_examples, waveform_to_examples

SR = 16000
NET_SIZE = (128, 128)  # (h, w): the test LoadClipFrames scale the `model` fixture sets
# At this size the fixture's random weights predict both classes on the test frames.
NET_OPTIONS = {'test_dataloader.dataset.pipeline.0.scale': NET_SIZE[::-1]}


@pytest.fixture(scope='module')
def config_path(repo_root):
    return osp.join(repo_root, 'configs/transavs_tiny_s4.py')


@pytest.fixture(scope='module')
def model(config_path, tiny_checkpoint):
    model = init_model(config_path, tiny_checkpoint, cfg_options=NET_OPTIONS)
    assert model.cfg.test_dataloader.dataset.pipeline[0].scale == NET_SIZE[::-1]
    return model


def _frames(num=5, height=80, width=64, seed=0):
    """Smooth random RGB frames (uint8 ``[F, H, W, 3]``) with a bright moving square."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (num, height // 8, width // 8, 3), dtype=np.uint8)
    frames = np.stack([mmcv.imresize(f, (width, height)) for f in base])
    for i in range(num):
        frames[i, 10 + 2 * i:40 + 2 * i, 8:40] = 250
    return frames


def _wave(seconds=5.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.size)).astype(
        np.float32)


def _reference(model, frames, wave, frame_seconds=None, log_mel=None):
    """The model through its own data preprocessor on frames resized like the test pipeline
    (mmcv bilinear to 128x128) and log-mels of the VGGish frontend (repeat-padded to 5, unless
    ``log_mel`` is given), resized by hand to the frames' size."""
    resized = np.stack([mmcv.imresize(f, NET_SIZE[::-1], interpolation='bilinear')
                        for f in frames])
    if log_mel is None:
        log_mel = pad_or_crop_examples(waveform_to_examples(wave, SR), 5)
    inputs = dict(frames=[torch.from_numpy(resized).permute(0, 3, 1, 2).contiguous()],
                  audio_log_mel=[log_mel])
    if frame_seconds is not None:
        inputs['frame_seconds'] = [torch.tensor(frame_seconds)]
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=inputs, data_samples=None), False)
        probs = model.predict(**data)[0].pred_fg_prob.data  # [F, 128, 128]
    if tuple(frames.shape[1:3]) != NET_SIZE:
        probs = F.interpolate(probs[:, None], size=frames.shape[1:3], mode='bilinear',
                              align_corners=False)[:, 0]
    return probs


# --------------------------------------------------------------------------------- init_model
def test_init_model_loads_checkpoint(config_path, tiny_checkpoint):
    model = init_model(config_path, tiny_checkpoint)
    saved = torch.load(tiny_checkpoint, map_location='cpu', weights_only=True)['state_dict']
    state = model.state_dict()
    assert set(saved) == set(state)
    assert all(torch.equal(state[k], saved[k]) for k in saved)
    assert not model.training
    assert isinstance(model.cfg, Config) and model.cfg.model.type == 'TransAVS'
    assert next(model.parameters()).device == torch.device('cpu')


def test_init_model_without_checkpoint_warns_and_merges_options(config_path):
    cfg = Config.fromfile(config_path)
    before = copy.deepcopy(cfg.model.decode_head)
    with pytest.warns(UserWarning, match='RANDOM'):
        model = init_model(cfg, cfg_options={'model.decode_head.query_mode': 'frame'})
    assert model.decode_head.query_mode == 'frame'
    assert model.cfg.model.decode_head.query_mode == 'frame'
    assert cfg.model.decode_head == before  # the caller's config is not modified


def test_init_model_errors(config_path, tmp_path):
    with pytest.raises(FileNotFoundError, match='config file not found'):
        init_model(str(tmp_path / 'missing.py'))
    with pytest.raises(FileNotFoundError, match='checkpoint file not found'):
        init_model(config_path, str(tmp_path / 'missing.pth'))
    with pytest.raises(TypeError, match='Config'):
        init_model(dict(model=dict(type='TransAVS')))


def test_pipeline_settings(config_path):
    cfg = Config.fromfile(config_path)
    assert pipeline_frame_scale(cfg) == ((224, 224), 'bilinear')
    assert pipeline_audio_pad_mode(cfg) == 'repeat'
    cfg.test_dataloader.dataset.pipeline[0].scale = (96, 64)
    cfg.test_dataloader.dataset.pipeline[2] = dict(type='LoadAudioLogMel', pad_mode='zeros')
    assert pipeline_frame_scale(cfg) == ((96, 64), 'bilinear')
    assert pipeline_audio_pad_mode(cfg) == 'zeros'
    cfg.test_dataloader.dataset.pipeline[2:3] = [
        dict(type='LoadAudioWaveform'), dict(type='WaveformToLogMel', pad_mode='zeros')]
    assert pipeline_audio_pad_mode(cfg) == 'zeros'
    # No test pipeline at all: the default one.
    assert pipeline_frame_scale(Config(dict(model=dict()))) == ((224, 224), 'bilinear')


def _with_pipeline(model, pipeline):
    """The same model (shared weights) with another test pipeline in its config."""
    other = copy.copy(model)
    other.cfg = copy.deepcopy(model.cfg)
    other.cfg.test_dataloader.dataset.pipeline = pipeline
    return other


def test_runs_the_config_test_pipeline(model):
    frames, wave = _frames(seed=6), _wave(seed=6)
    steps = copy.deepcopy(model.cfg.test_dataloader.dataset.pipeline)
    assert [s['type'] for s in steps] == [
        'LoadClipFrames', 'LoadClipMasks', 'LoadAudioLogMel', 'PackAVSInputs']
    normal = inference_avs(model, frames, wave, sample_rate=SR).pred_fg_prob.data
    # A step of the config (MuteAudio after the audio) runs in inference too.
    muted = _with_pipeline(model, steps[:3] + [dict(type='MuteAudio')] + steps[3:])
    silenced = inference_avs(muted, frames, wave, sample_rate=SR).pred_fg_prob.data
    silent = inference_avs(model, frames, np.zeros_like(wave), sample_rate=SR)
    assert torch.equal(silenced, silent.pred_fg_prob.data)
    assert not torch.allclose(silenced, normal, atol=1e-4)
    # The log-mel loader's pad_mode pads short audio.
    short = wave[:2 * SR]
    zeros = _with_pipeline(model, steps[:2] + [dict(type='LoadAudioLogMel', pad_mode='zeros')] +
                           steps[3:])
    padded = inference_avs(zeros, frames, short, sample_rate=SR).pred_fg_prob.data
    log_mel = pad_or_crop_examples(waveform_to_examples(short, SR), 5, 'zeros')
    assert torch.allclose(padded, _reference(model, frames, short, log_mel=log_mel), atol=1e-6)
    assert not torch.allclose(padded, _reference(model, frames, short), atol=1e-6)
    # A waveform pipeline (LoadAudioWaveform + WaveformToLogMel) gives the same as log-mels.
    waves = _with_pipeline(model, steps[:2] + [dict(type='LoadAudioWaveform'),
                                               dict(type='WaveformToLogMel')] + steps[3:])
    assert torch.equal(inference_avs(waves, frames, wave, sample_rate=SR).pred_fg_prob.data,
                       normal)


def test_without_a_config_the_default_pipeline(model):
    bare = copy.copy(model)  # shared weights, no model.cfg
    del bare.cfg
    frames, wave = _frames(seed=7), _wave(seed=7)
    result = inference_avs(bare, frames, wave, sample_rate=SR)
    assert result.metainfo['img_shape'] == (224, 224)  # DEFAULT_TEST_PIPELINE's scale
    assert result.pred_fg_prob.data.shape == (5, 80, 64)
    # The same as the tiny config's test pipeline at 224 x 224.
    at_224 = _with_pipeline(model, copy.deepcopy(model.cfg.test_dataloader.dataset.pipeline))
    at_224.cfg.test_dataloader.dataset.pipeline[0].scale = (224, 224)
    expected = inference_avs(at_224, frames, wave, sample_rate=SR).pred_fg_prob.data
    assert torch.equal(result.pred_fg_prob.data, expected)


def test_pipeline_errors(model):
    frames, wave = _frames(), _wave()
    steps = copy.deepcopy(model.cfg.test_dataloader.dataset.pipeline)
    no_frames = _with_pipeline(model, steps[1:])
    with pytest.raises(ValueError, match=r'transavs_tiny_s4\.py has no frame loader'):
        inference_avs(no_frames, frames, wave, sample_rate=SR)
    no_audio = _with_pipeline(model, steps[:2] + steps[3:])
    with pytest.raises(ValueError, match='has no audio step'):
        inference_avs(no_audio, frames, wave, sample_rate=SR)
    no_meta = _with_pipeline(model, steps[:3] + [dict(type='PackAVSInputs',
                                                      meta_keys=('num_frames', ))])
    with pytest.raises(ValueError, match='keeping ori_shape and img_shape'):
        inference_avs(no_meta, frames, wave, sample_rate=SR)


# ------------------------------------------------------------------------------ inference_avs
def test_outputs_at_original_size(model):
    frames = _frames(height=80, width=64)
    result = inference_avs(model, frames, _wave(), sample_rate=SR)
    prob, binary = result.pred_fg_prob.data, result.pred_sem_seg.data
    assert prob.shape == (5, 80, 64) and prob.dtype == torch.float32
    assert binary.shape == (5, 80, 64) and binary.dtype == torch.uint8
    assert 0 <= prob.min() and prob.max() <= 1
    assert torch.equal(binary, (prob > 0.5).to(torch.uint8))
    assert 0 < binary.float().mean() < 1  # both classes present: the check above means something
    assert result.metainfo['frame_times'] == [0.5, 1.5, 2.5, 3.5, 4.5]
    assert result.metainfo['frame_seconds'] == [0, 1, 2, 3, 4]
    assert result.metainfo['ori_shape'] == (80, 64)
    assert result.metainfo['img_shape'] == NET_SIZE


@pytest.mark.parametrize('size', [NET_SIZE, (80, 64)])
def test_equals_model_on_pipeline_inputs(model, size):
    frames, wave = _frames(height=size[0], width=size[1], seed=1), _wave(seed=1)
    result = inference_avs(model, frames, wave, sample_rate=SR)
    expected = _reference(model, frames, wave)
    assert torch.allclose(result.pred_fg_prob.data, expected, atol=1e-6)


def test_frame_times_map_to_seconds(config_path, tiny_checkpoint):
    # Per-frame queries: each frame's second decides its audio. The clip-mode checkpoint's
    # audio-query mixing (16 x 5) does not fit the frame mode's (16 x 1): opt in to partial.
    model = init_model(config_path, tiny_checkpoint,
                       cfg_options={'model.decode_head.query_mode': 'frame', **NET_OPTIONS},
                       strict=False)
    frames, wave = _frames(num=3, height=NET_SIZE[0], width=NET_SIZE[1]), _wave()
    result = inference_avs(model, frames, wave, sample_rate=SR, frame_times=[0.2, 0.7, 3.9])
    assert result.metainfo['frame_seconds'] == [0, 0, 3]
    expected = _reference(model, frames, wave, frame_seconds=[0, 0, 3])
    assert torch.allclose(result.pred_fg_prob.data, expected, atol=1e-6)
    other = _reference(model, frames, wave, frame_seconds=[1, 2, 4])
    assert not torch.allclose(result.pred_fg_prob.data, other, atol=1e-6)


def test_times_outside_the_clip_warn_and_clamp(model):
    frames, wave = _frames(num=7, seed=5), _wave()
    with pytest.warns(UserWarning, match=r'2 frame time\(s\).*outside the model\'s clip of 5 s'):
        result = inference_avs(model, frames, wave, sample_rate=SR)  # default i + 0.5
    assert result.metainfo['frame_seconds'] == [0, 1, 2, 3, 4, 4, 4]
    expected = _reference(model, frames, wave, frame_seconds=[0, 1, 2, 3, 4, 4, 4])
    assert torch.allclose(result.pred_fg_prob.data, expected, atol=1e-6)


def test_arrays_and_paths_agree(model, tmp_path):
    frames, wave = _frames(seed=2), _wave(seed=2)
    paths = []
    for i, frame in enumerate(frames):
        paths.append(str(tmp_path / f'frame_{i}.png'))
        mmcv.imwrite(mmcv.rgb2bgr(frame), paths[-1])  # PNG: lossless
    wav_path = str(tmp_path / 'audio.wav')
    soundfile.write(wav_path, wave, SR, subtype='FLOAT')
    stacked = inference_avs(model, frames, wave, sample_rate=SR).pred_fg_prob.data
    listed = inference_avs(model, list(frames), wave, sample_rate=SR).pred_fg_prob.data
    from_files = inference_avs(model, paths, wav_path).pred_fg_prob.data
    assert torch.equal(stacked, listed)
    assert torch.equal(stacked, from_files)


def test_audio_forms(model):
    frames, wave = _frames(seed=3), _wave(seed=3)
    mono = inference_avs(model, frames, wave, sample_rate=SR).pred_fg_prob.data
    stereo = inference_avs(model, frames, np.stack([wave, wave], axis=1),
                           sample_rate=SR).pred_fg_prob.data
    assert torch.allclose(mono, stereo, atol=1e-6)
    # Only T = 5 examples (4.8 s) are used: a longer tail changes nothing.
    longer = np.concatenate([wave, _wave(seconds=3.0, seed=9)])
    cut = inference_avs(model, frames, longer, sample_rate=SR).pred_fg_prob.data
    assert torch.equal(mono, cut)
    # Shorter audio is padded by repeating the last example, as AVSBench v1's log-mels.
    short = inference_avs(model, frames, wave[:2 * SR], sample_rate=SR).pred_fg_prob.data
    assert torch.allclose(short, _reference(model, frames, wave[:2 * SR]), atol=1e-6)
    assert not torch.allclose(short, mono, atol=1e-6)


def test_short_and_silent_audio(model):
    frames = _frames(seed=4)
    with pytest.warns(UserWarning, match='zero-padded to one example'):
        result = inference_avs(model, frames, _wave(seconds=0.5), sample_rate=SR)
    assert result.pred_fg_prob.data.shape == (5, 80, 64)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # silence is valid audio: no warning
        silent = inference_avs(model, frames, np.zeros(5 * SR, np.float32), sample_rate=SR)
    assert torch.isfinite(silent.pred_fg_prob.data).all()


def test_input_errors(model, tmp_path):
    frames, wave = _frames(), _wave()
    with pytest.raises(ValueError, match='no frames'):
        inference_avs(model, [], wave, sample_rate=SR)
    with pytest.raises(TypeError, match='uint8'):
        inference_avs(model, frames.astype(np.float32), wave, sample_rate=SR)
    with pytest.raises(ValueError, match=r'\[F, H, W, 3\]'):
        inference_avs(model, frames[..., 0], wave, sample_rate=SR)
    with pytest.raises(ValueError, match='different sizes'):
        inference_avs(model, [frames[0], frames[1, :40]], wave, sample_rate=SR)
    with pytest.raises(ValueError, match='needs its sample_rate'):
        inference_avs(model, frames, wave)
    with pytest.raises(ValueError, match=r'\[S, C\]'):
        inference_avs(model, frames, np.stack([wave, wave]), sample_rate=SR)
    with pytest.raises(ValueError, match='frame_times has 2 entries for 5 frames'):
        inference_avs(model, frames, wave, sample_rate=SR, frame_times=[0.5, 1.5])
    with pytest.raises(FileNotFoundError, match='missing.png'):
        inference_avs(model, [str(tmp_path / 'missing.png')], wave, sample_rate=SR)
    wav_path = str(tmp_path / 'a.wav')
    soundfile.write(wav_path, wave, SR)
    with pytest.raises(ValueError, match='only for waveform arrays'):
        inference_avs(model, frames, wav_path, sample_rate=SR)


def test_inference_pipeline_drops_ground_truth_and_file_arguments():
    """An AVSBench-semantic test pipeline: the label loader goes, the frame loader keeps only
    the arguments LoadClipFramesFromNDArray takes (checked on the config dicts alone)."""
    from projects.transavs.apis.inference import _inference_pipeline
    cfg = Config(dict(test_pipeline=[
        dict(type='LoadClipFrames', scale=(224, 224), backend='pillow',
             imdecode_backend='pillow', pad_value=(124, 116, 104)),
        dict(type='LoadClipSemanticLabels', scale=(224, 224), backend='pillow'),
        dict(type='LoadAudioWaveform'),
        dict(type='WaveformToLogMel', pad_mode='zeros'),
        dict(type='PackAVSInputs'),
    ]))
    assert _inference_pipeline(cfg, False, 10) == [
        dict(type='LoadClipFramesFromNDArray', scale=(224, 224), backend='pillow'),
        dict(type='LoadAudioFromNDArray'),
        dict(type='WaveformToLogMel', pad_mode='zeros', num_examples=10),
        dict(type='PackAVSInputs'),
    ]
    cfg.test_pipeline[0] = dict(type='mmseg.LoadClipFrames', scale=(96, 64),
                                interpolation='nearest', keep_ratio_crop=True,
                                backend_args=dict(backend='local'))
    cfg.test_pipeline.insert(1, dict(type='LoadClipMasks', scale=(96, 64)))
    steps = _inference_pipeline(cfg, True, 5)
    assert steps[0] == dict(type='LoadClipFramesFromNDArray', scale=(96, 64),
                            interpolation='nearest', keep_ratio_crop=True)
    assert [s['type'] for s in steps] == ['LoadClipFramesFromNDArray', 'LoadAudioWaveform',
                                          'WaveformToLogMel', 'PackAVSInputs']
