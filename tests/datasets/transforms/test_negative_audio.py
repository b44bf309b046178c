"""Negative audio (AVSBench-Robust): SilenceAudio, NoiseAudio, OffScreenAudio,
RandomNegativeAudio, PackAVSInputs' check and the pipeline helpers, on generated clips."""
import zlib

import numpy as np
import pytest
import torch
from mmseg.registry import DATASETS, TRANSFORMS

from projects.transavs.datasets.synthetic import generate_dataset
from projects.transavs.datasets.transforms import (
    AUDIO_STEPS,
    NEGATIVE_CONDITIONS,
    POSITIVE_CONDITION,
    colored_noise,
    insert_negative_audio,
    log_mel_examples,
    negative_audio_transform,
)
from projects.transavs.datasets.transforms.vggish_frontend import LOG_OFFSET

SIZE = 32  # frames and masks, tiny
LOG_MEL = [dict(type='LoadAudioLogMel', source='pkl')]
WAVE = [dict(type='LoadAudioWaveform')]
WAVE_TO_LOG_MEL = WAVE + [dict(type='WaveformToLogMel')]
DATASET = {'s4': 'AVSBenchS4Dataset', 'ms3': 'AVSBenchMS3Dataset'}


@pytest.fixture(scope='module')
def s4_pool(tmp_path_factory) -> str:
    """An S4 test split of 8 clips over 3 categories (clips share categories)."""
    root = str(tmp_path_factory.mktemp('negative_s4') / 's4')
    generate_dataset(root, 's4', [8], splits=['test'], seed=0, size=SIZE, num_categories=3,
                     progress=False)
    return root


@pytest.fixture(scope='module')
def ms3_pool(tmp_path_factory) -> str:
    """An MS3 test split of 6 two-source clips over 6 categories, with ms3_categories.csv;
    every clip shares a category with another one and has at least one possible donor."""
    root = str(tmp_path_factory.mktemp('negative_ms3') / 'ms3')
    generate_dataset(root, 'ms3', [6], splits=['test'], seed=0, size=SIZE, num_categories=6,
                     sounding=(2, 2), progress=False)
    return root


def _dataset_cfg(subset: str, root: str, **extra) -> dict:
    if subset == 'ms3':
        extra.setdefault('category_file', 'ms3_categories.csv')
    return dict(type=DATASET[subset], data_root=root, split='test', **extra)


def _dataset(subset, root, pipeline=(), **extra):
    return DATASETS.build(dict(_dataset_cfg(subset, root, **extra), pipeline=list(pipeline)))


def _run(steps, results: dict) -> dict:
    for step in steps:
        results = TRANSFORMS.build(step)(results)
    return results


def _clip(dataset, index: int, audio=LOG_MEL, masks: bool = True) -> dict:
    """A clip's results: masks (when asked) and audio, loaded from its data info."""
    steps = ([dict(type='LoadClipFrames', scale=(SIZE, SIZE)),
              dict(type='LoadClipMasks', scale=(SIZE, SIZE))] if masks else []) + list(audio)
    return _run(steps, dataset.get_data_info(index))


def _mean_mel(log_mel) -> float:
    """The mean mel-filterbank magnitude behind VGGish log-mels."""
    return float((torch.as_tensor(log_mel).double().exp() - LOG_OFFSET).clamp_min(0).mean())


def _wave_mean_mel(wave: np.ndarray) -> float:
    return _mean_mel(log_mel_examples(torch.from_numpy(np.asarray(wave, np.float64))))


def _categories(dataset) -> dict:
    return {info['video_name']: set(info['sounding_categories'])
            for info in map(dataset.get_data_info, range(len(dataset)))}


# ---------------------------------------------------------------- silence


def test_silence_replaces_both_stages_and_empties_the_ground_truth(s4_pool):
    dataset = _dataset('s4', s4_pool)
    results = _clip(dataset, 0, LOG_MEL + WAVE)
    masks = results['gt_masks']
    assert masks.dtype == np.uint8 and masks.any()  # a real target before
    assert results['audio_wave'].any() and results['audio_log_mel'].std() > 0
    out = TRANSFORMS.build(dict(type='SilenceAudio'))(dict(results))
    assert out['audio_condition'] == 'silence'
    assert out['gt_masks'].shape == masks.shape and out['gt_masks'].dtype == np.uint8
    assert not out['gt_masks'].any()
    assert out['audio_wave'].dtype == np.float32 and out['audio_wave'].shape == \
        results['audio_wave'].shape and not out['audio_wave'].any()
    log_mel = out['audio_log_mel']
    assert isinstance(log_mel, torch.Tensor) and log_mel.shape == (5, 1, 96, 64)
    assert torch.equal(log_mel, torch.full_like(log_mel, float(np.log(LOG_OFFSET))))
    # the log-mel of silence is what the VGGish frontend makes of zeros
    zeros = log_mel_examples(torch.zeros(5 * 16000, dtype=torch.float64)).float()
    assert torch.allclose(log_mel, zeros)


def test_mute_audio_silences_the_same_way_but_keeps_the_ground_truth(s4_pool):
    results = _clip(_dataset('s4', s4_pool), 1)
    muted = TRANSFORMS.build(dict(type='MuteAudio'))(dict(results))
    silent = TRANSFORMS.build(dict(type='SilenceAudio'))(dict(results))
    assert torch.equal(muted['audio_log_mel'], silent['audio_log_mel'])
    assert np.array_equal(muted['gt_masks'], results['gt_masks']) and muted['gt_masks'].any()
    assert 'audio_condition' not in muted


@pytest.mark.parametrize('name', ['SilenceAudio', 'NoiseAudio', 'MuteAudio'])
def test_without_audio_names_the_transform(name):
    with pytest.raises(KeyError, match=f'{name}.*after the audio loading'):
        TRANSFORMS.build(dict(type=name))(dict(video_name='v', gt_masks=np.ones((5, 2, 2))))


# ---------------------------------------------------------------- noise


@pytest.mark.parametrize('audio', [LOG_MEL, WAVE], ids=['log_mel', 'wave'])
def test_noise_is_deterministic_per_seed_and_clip(s4_pool, audio):
    dataset = _dataset('s4', s4_pool)
    key = 'audio_wave' if audio == WAVE else 'audio_log_mel'
    first, second = _clip(dataset, 0, audio), _clip(dataset, 1, audio)

    def noise(results, **kwargs):
        out = TRANSFORMS.build(dict(type='NoiseAudio', **kwargs))(dict(results))
        assert out['audio_condition'] == 'noise' and not out['gt_masks'].any()
        return np.asarray(out[key])

    base = noise(first)
    assert base.shape == np.asarray(first[key]).shape
    assert np.array_equal(base, noise(first))  # same seed, same clip
    assert np.array_equal(base, noise(first, seed=0))
    assert not np.allclose(base, noise(first, seed=1))  # another seed
    assert not np.allclose(base, np.asarray(first[key]))  # not the clip's audio
    # another clip: other noise (compared at the same level, so only the draw differs)
    other = dict(first, video_name=second['video_name'])
    assert not np.allclose(base, noise(other))
    assert not np.allclose(base, noise(first, color='pink'))


def test_noise_level_relative_to_the_clip_on_log_mels(s4_pool):
    results = _clip(_dataset('s4', s4_pool), 2)
    clip_mel = _mean_mel(results['audio_log_mel'])
    levels = {}
    for level_db in (0.0, 20.0, -6.0):
        out = TRANSFORMS.build(dict(type='NoiseAudio', level_db=level_db))(dict(results))
        assert out['audio_log_mel'].dtype == torch.float32
        assert out['audio_log_mel'].shape == results['audio_log_mel'].shape
        levels[level_db] = _mean_mel(out['audio_log_mel'])
    assert levels[0.0] == pytest.approx(clip_mel, rel=1e-4)
    assert levels[20.0] / levels[0.0] == pytest.approx(10.0, rel=1e-4)
    assert levels[-6.0] / levels[0.0] == pytest.approx(10**(-6 / 20), rel=1e-4)


def test_noise_level_relative_to_the_clip_on_waveforms(s4_pool):
    results = _clip(_dataset('s4', s4_pool), 2, WAVE)
    clip_mel = _wave_mean_mel(results['audio_wave'])
    outs = {db: TRANSFORMS.build(dict(type='NoiseAudio', level_db=db))(dict(results))
            for db in (0.0, 20.0)}
    assert outs[0.0]['audio_wave'].dtype == np.float32
    assert _wave_mean_mel(outs[0.0]['audio_wave']) == pytest.approx(clip_mel, rel=1e-4)
    assert _wave_mean_mel(outs[20.0]['audio_wave']) / clip_mel == pytest.approx(10.0, rel=1e-4)
    # the same level through the rest of the pipeline as for the log-mel stage
    logged = _run([dict(type='WaveformToLogMel')], outs[20.0])
    own = _run([dict(type='WaveformToLogMel')], dict(results))
    assert _mean_mel(logged['audio_log_mel']) / _mean_mel(own['audio_log_mel']) == \
        pytest.approx(10.0, rel=1e-3)


def _spectral_slope(wave: np.ndarray) -> float:
    """The fitted log-log slope of a waveform's power spectrum (averaged in log bands)."""
    power = np.abs(np.fft.rfft(wave))**2
    freqs = np.fft.rfftfreq(wave.shape[0], d=1 / 16000)
    edges = np.geomspace(50, 7000, 25)
    centres, means = [], []
    for low, high in zip(edges[:-1], edges[1:]):
        band = (freqs >= low) & (freqs < high)
        centres.append(np.sqrt(low * high))
        means.append(power[band].mean())
    return float(np.polyfit(np.log10(centres), np.log10(means), 1)[0])


@pytest.mark.parametrize('color,slope', [('white', 0.0), ('pink', -1.0), ('brown', -2.0)])
def test_noise_colours_have_their_spectral_slope(s4_pool, color, slope):
    results = _clip(_dataset('s4', s4_pool), 0, WAVE, masks=False)
    out = TRANSFORMS.build(dict(type='NoiseAudio', color=color))(dict(results))
    assert _spectral_slope(out['audio_wave']) == pytest.approx(slope, abs=0.15)
    noise = colored_noise(color, 8000, np.random.default_rng(0))
    assert abs(noise.mean()) < 1e-9 and np.sqrt(np.mean(noise**2)) == pytest.approx(1.0)


def test_noise_of_a_silent_clip_has_the_documented_fallback_level():
    silent = dict(video_name='quiet', subset='s4', split='test',
                  audio_wave=np.zeros(3 * 16000, np.float32))
    with pytest.warns(UserWarning, match='s4/test/quiet.*silent'):
        out = TRANSFORMS.build(dict(type='NoiseAudio', level_db=20))(dict(silent))
    assert np.sqrt(np.mean(out['audio_wave'].astype(np.float64)**2)) == pytest.approx(1.0)
    log_mel = dict(silent, audio_log_mel=torch.full((3, 1, 96, 64), float(np.log(LOG_OFFSET))))
    del log_mel['audio_wave']
    with pytest.warns(UserWarning, match='quiet'):
        out = TRANSFORMS.build(dict(type='NoiseAudio'))(log_mel)
    # noise at RMS 0.1 has the mel magnitude of the same noise waveform at RMS 0.1
    wave = 0.1 * colored_noise('white', 3 * 16000, np.random.default_rng(0))
    assert _mean_mel(out['audio_log_mel']) == pytest.approx(_wave_mean_mel(wave), rel=0.02)


def test_noise_arguments_and_clip_identity_are_checked():
    with pytest.raises(ValueError, match="violet.*'white', 'pink', 'brown'"):
        TRANSFORMS.build(dict(type='NoiseAudio', color='violet'))
    with pytest.raises(ValueError, match='level_db'):
        TRANSFORMS.build(dict(type='NoiseAudio', level_db=float('nan')))
    with pytest.raises(KeyError, match='video_name'):
        TRANSFORMS.build(dict(type='NoiseAudio'))(dict(audio_wave=np.ones(16000, np.float32)))


# ---------------------------------------------------------------- off-screen


def _expected_donor(infos, categories, name, seed, groups=None):
    """The specified draw: among the pool's other clips with no shared category (group), in
    pool order, by np.random.default_rng([seed, crc32('subset/split/name')])."""
    def group(c):
        return (groups or {}).get(c, c)

    info = next(i for i in infos if i['video_name'] == name)
    own = {group(c) for c in categories[name]}
    free = [i['video_name'] for i in infos if i['video_name'] != name and
            not own & {group(c) for c in categories[i['video_name']]}]
    key = f"{info['subset']}/{info['split']}/{name}"
    return free[np.random.default_rng([seed, zlib.crc32(key.encode())]).integers(len(free))]


@pytest.mark.parametrize('subset,audio', [('s4', LOG_MEL), ('ms3', WAVE_TO_LOG_MEL)])
def test_off_screen_donor_never_shares_a_category(request, subset, audio):
    root = request.getfixturevalue(f'{subset}_pool')
    dataset = _dataset(subset, root)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    categories = _categories(dataset)
    shared = [n for n in categories
              if any(m != n and categories[m] & categories[n] for m in categories)]
    assert len(shared) >= 4  # the test means something: clips share categories
    transform = TRANSFORMS.build(dict(type='OffScreenAudio', dataset=_dataset_cfg(subset, root),
                                      audio_pipeline=audio, seed=0))
    donors = {}
    for i, info in enumerate(infos):
        results = _clip(dataset, i, audio)
        out = transform(dict(results))
        name, donor = info['video_name'], out['audio_source']
        donors[name] = donor
        assert donor != name and not categories[donor] & categories[name]
        assert donor == _expected_donor(infos, categories, name, seed=0)
        assert out['audio_condition'] == 'off-screen' and not out['gt_masks'].any()
        # the donor's audio, exactly as its own pipeline loads it
        own = _clip(dataset, [j['video_name'] for j in infos].index(donor), audio, masks=False)
        assert torch.equal(out['audio_log_mel'], own['audio_log_mel'])
        assert not torch.equal(out['audio_log_mel'], results['audio_log_mel'])
        assert 'audio_wave' not in out
    # deterministic by seed; another seed changes some donor
    again = TRANSFORMS.build(dict(type='OffScreenAudio', dataset=_dataset_cfg(subset, root),
                                  audio_pipeline=audio, seed=0))
    assert all(again.donor(infos[i])['video_name'] == donors[info['video_name']]
               for i, info in enumerate(infos))
    changed = False
    for seed in range(1, 6):
        other = TRANSFORMS.build(dict(type='OffScreenAudio',
                                      dataset=_dataset_cfg(subset, root),
                                      audio_pipeline=audio, seed=seed))
        for info in infos:
            donor = other.donor(info)['video_name']
            assert not categories[donor] & categories[info['video_name']]
            assert donor == _expected_donor(infos, categories, info['video_name'], seed)
            changed |= donor != donors[info['video_name']]
    assert changed


def test_off_screen_with_category_groups(s4_pool):
    dataset = _dataset('s4', s4_pool)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    categories = _categories(dataset)
    names = sorted(set().union(*categories.values()))
    assert len(names) == 3
    groups = {names[0]: 'animal', names[1]: 'animal'}  # the third is its own group
    transform = TRANSFORMS.build(dict(type='OffScreenAudio', dataset=dataset,  # built: as is
                                      audio_pipeline=LOG_MEL, category_groups=groups))
    for info in infos:
        donor = transform.donor(info)['video_name']
        own, got = categories[info['video_name']], categories[donor]
        if own & {names[0], names[1]}:  # a grouped clip gets only the ungrouped category
            assert got == {names[2]}
        else:
            assert got <= {names[0], names[1]}
        assert donor == _expected_donor(infos, categories, info['video_name'], 0, groups)
    # one group for everything: no clip has a donor, and that is an error naming them
    everything = dict.fromkeys(names, 'sound')
    lonely = TRANSFORMS.build(dict(type='OffScreenAudio', dataset=dataset,
                                   audio_pipeline=LOG_MEL, category_groups=everything))
    with pytest.raises(ValueError, match=r'8 clip\(s\).*no other clip.*syn_s4_000000 '
                                         r"\(categories \['"):
        lonely(_clip(dataset, 0))


def test_off_screen_errors(s4_pool, ms3_pool):
    dataset = _dataset('s4', s4_pool)
    transform = TRANSFORMS.build(dict(type='OffScreenAudio', dataset=_dataset_cfg('s4', s4_pool),
                                      audio_pipeline=LOG_MEL))
    results = _clip(dataset, 0)
    with pytest.raises(ValueError, match=r'clip s4/test/nowhere is not in the donor pool '
                                         r'AVSBenchS4Dataset'):
        transform(dict(results, video_name='nowhere'))
    # MS3 without a category file: no categories, and the message says how to give them
    no_categories = TRANSFORMS.build(dict(
        type='OffScreenAudio', audio_pipeline=LOG_MEL,
        dataset=dict(type='AVSBenchMS3Dataset', data_root=ms3_pool, split='test')))
    with pytest.raises(ValueError, match='AVSBenchMS3Dataset.*no sounding_categories.*'
                                         'category_file.*metadata.csv.*--robustness silence '
                                         'noise'):
        no_categories(_clip(_dataset('ms3', ms3_pool), 0))
    with pytest.raises(ValueError, match='audio_pipeline is empty'):
        TRANSFORMS.build(dict(type='OffScreenAudio', dataset=_dataset_cfg('s4', s4_pool),
                              audio_pipeline=[]))


def test_off_screen_at_the_waveform_stage(s4_pool):
    dataset = _dataset('s4', s4_pool)
    transform = TRANSFORMS.build(dict(type='OffScreenAudio', dataset=_dataset_cfg('s4', s4_pool),
                                      audio_pipeline=WAVE, seed=4))
    results = _clip(dataset, 3, WAVE)
    out = transform(dict(results))
    names = [dataset.get_data_info(i)['video_name'] for i in range(len(dataset))]
    own = _clip(dataset, names.index(out['audio_source']), WAVE, masks=False)
    assert np.array_equal(out['audio_wave'], own['audio_wave'])
    assert not np.array_equal(out['audio_wave'], results['audio_wave'])
    assert 'audio_log_mel' not in out and not out['gt_masks'].any()
    logged = _run([dict(type='WaveformToLogMel')], out)  # the pipeline goes on as usual
    assert logged['audio_log_mel'].shape == (5, 1, 96, 64)
    # a donor pipeline that ends at another stage than the clip is refused
    log_mel_donor = TRANSFORMS.build(dict(type='OffScreenAudio', audio_pipeline=LOG_MEL,
                                          dataset=_dataset_cfg('s4', s4_pool)))
    with pytest.raises(ValueError, match=r"holds \['audio_wave'\].*gives \['audio_log_mel'\]"):
        log_mel_donor(dict(results))


def test_off_screen_single_clip_pool_has_no_candidate(tmp_path):
    root = str(tmp_path / 's4')
    generate_dataset(root, 's4', [1], splits=['test'], size=SIZE, progress=False)
    dataset = _dataset('s4', root)
    transform = TRANSFORMS.build(dict(type='OffScreenAudio', dataset=dataset,
                                      audio_pipeline=LOG_MEL))
    with pytest.raises(ValueError, match='syn_s4_000000 \\(categories.*--robustness silence '
                       'noise'):
        transform(_clip(dataset, 0))


# ---------------------------------------------------------------- packing


def test_pack_refuses_a_negative_clip_with_a_target(s4_pool):
    dataset = _dataset('s4', s4_pool)
    info = dataset.get_data_info(0)
    frames = dict(type='LoadClipFrames', scale=(SIZE, SIZE))
    masks = dict(type='LoadClipMasks', scale=(SIZE, SIZE))
    wrong = [frames] + LOG_MEL + [dict(type='SilenceAudio'), masks, dict(type='PackAVSInputs')]
    with pytest.raises(ValueError, match='after LoadClipMasks / LoadClipSemanticLabels'):
        _run(wrong, dict(info))
    right = [frames, masks] + LOG_MEL + [dict(type='NoiseAudio'), dict(type='PackAVSInputs')]
    sample = _run(right, dict(info))['data_samples']
    assert sample.audio_condition == 'noise' and not sample.gt_sem_seg.data.any()
    off = [frames, masks] + LOG_MEL + [
        dict(type='OffScreenAudio', dataset=_dataset_cfg('s4', s4_pool), audio_pipeline=LOG_MEL),
        dict(type='PackAVSInputs')]
    sample = _run(off, dict(info))['data_samples']
    assert sample.audio_condition == 'off-screen' and sample.audio_source != info['video_name']
    # a positive clip keeps its target
    positive = _run([frames, masks] + LOG_MEL + [dict(type='PackAVSInputs')],
                    dict(info, audio_condition=POSITIVE_CONDITION))['data_samples']
    assert positive.gt_sem_seg.data.any()


# ---------------------------------------------------------------- training


def test_random_negative_audio_prob_0_and_1(s4_pool):
    dataset = _dataset('s4', s4_pool)
    clips = [_clip(dataset, i) for i in range(4)]
    off_screen = dict(dataset=_dataset_cfg('s4', s4_pool), audio_pipeline=LOG_MEL)
    never = TRANSFORMS.build(dict(type='RandomNegativeAudio', prob=0.0,
                                  conditions=NEGATIVE_CONDITIONS, off_screen=off_screen))
    for clip in clips:
        out = never(dict(clip))
        assert out['audio_condition'] == POSITIVE_CONDITION
        assert torch.equal(out['audio_log_mel'], clip['audio_log_mel'])
        assert np.array_equal(out['gt_masks'], clip['gt_masks'])
    always = TRANSFORMS.build(dict(type='RandomNegativeAudio', prob=1.0, seed=0,
                                   conditions=NEGATIVE_CONDITIONS, off_screen=off_screen,
                                   noise=dict(color='pink', level_db=-6)))
    seen = set()
    for _ in range(3):
        for clip in clips:
            out = always(dict(clip))
            seen.add(out['audio_condition'])
            assert out['audio_condition'] in NEGATIVE_CONDITIONS and not out['gt_masks'].any()
            assert not torch.equal(out['audio_log_mel'], clip['audio_log_mel'])
    assert seen == set(NEGATIVE_CONDITIONS)
    # the same clip gets another noise each time (the per-clip seed is drawn too)
    noise = TRANSFORMS.build(dict(type='RandomNegativeAudio', prob=1.0, conditions=['noise']))
    np.random.seed(0)
    first, second = noise(dict(clips[0])), noise(dict(clips[0]))
    assert not torch.equal(first['audio_log_mel'], second['audio_log_mel'])
    np.random.seed(0)  # numpy's global state decides, as in mmcv's random transforms
    assert torch.equal(noise(dict(clips[0]))['audio_log_mel'], first['audio_log_mel'])
    with pytest.raises(ValueError, match='off_screen'):
        TRANSFORMS.build(dict(type='RandomNegativeAudio', prob=0.5,
                              conditions=['silence', 'off-screen']))
    with pytest.raises(ValueError, match='prob'):
        TRANSFORMS.build(dict(type='RandomNegativeAudio', prob=1.5))
    with pytest.raises(ValueError, match='conditions'):
        TRANSFORMS.build(dict(type='RandomNegativeAudio', prob=0.5, conditions=['quiet']))


# ---------------------------------------------------------------- pipeline helpers


def test_insert_negative_audio_positions():
    frames, masks = dict(type='LoadClipFrames'), dict(type='LoadClipMasks')
    pack, flip = dict(type='PackAVSInputs'), dict(type='ClipRandomFlip')
    silence = dict(type='SilenceAudio')

    def types(pipeline):
        return [step['type'] for step in pipeline]

    log_mel = [frames, masks, dict(type='LoadAudioLogMel'), flip, pack]
    out = insert_negative_audio(log_mel, silence)
    assert types(out) == ['LoadClipFrames', 'LoadClipMasks', 'LoadAudioLogMel', 'SilenceAudio',
                          'ClipRandomFlip', 'PackAVSInputs']
    assert types(log_mel) == ['LoadClipFrames', 'LoadClipMasks', 'LoadAudioLogMel',
                              'ClipRandomFlip', 'PackAVSInputs']  # unchanged
    assert out[3] == silence and out[3] is not silence and out is not log_mel
    wave = [dict(type='LoadAudioWaveform'), frames, dict(type='WaveformToLogMel'), masks, pack]
    assert types(insert_negative_audio(wave, silence)) == [
        'LoadAudioWaveform', 'LoadClipFrames', 'WaveformToLogMel', 'SilenceAudio',
        'LoadClipMasks', 'PackAVSInputs']
    twice = [dict(type='LoadAudioLogMel'), frames, dict(type='WaveformToLogMel'), pack]
    assert types(insert_negative_audio(twice, silence))[3] == 'SilenceAudio'  # the last one
    with pytest.raises(ValueError, match='SilenceAudio.*LoadAudioLogMel'):
        insert_negative_audio([frames, dict(type='LoadAudioWaveform'), pack], silence)


def test_negative_audio_transform_configs():
    pipeline = [dict(type='LoadClipFrames'), dict(type='LoadAudioWaveform', sample_rate=16000),
                dict(type='LoadClipMasks'), dict(type='WaveformToLogMel', pad_mode='zeros'),
                dict(type='PackAVSInputs')]
    dataset = dict(type='AVSBenchS4Dataset', data_root='root', split='test',
                   pipeline=pipeline)
    assert negative_audio_transform('silence', dataset, pipeline) == dict(type='SilenceAudio',
                                                                          seed=0)
    assert negative_audio_transform('noise', dataset, pipeline, seed=3,
                                    noise=dict(color='brown', level_db=-3)) == dict(
        type='NoiseAudio', seed=3, color='brown', level_db=-3)
    groups = dict(dog_barking='animal')
    off = negative_audio_transform('off-screen', dataset, pipeline, seed=2,
                                   category_groups=groups)
    assert off['type'] == 'OffScreenAudio' and off['seed'] == 2
    assert off['category_groups'] == groups
    assert off['dataset'] == dict(dataset, pipeline=[]) and dataset['pipeline'] == pipeline
    assert off['audio_pipeline'] == [pipeline[1], pipeline[3]]
    assert all(step['type'] in AUDIO_STEPS for step in off['audio_pipeline'])
    off['audio_pipeline'][0]['sample_rate'] = 8000  # a deep copy
    assert pipeline[1]['sample_rate'] == 16000
    with pytest.raises(ValueError, match="'loud'.*silence"):
        negative_audio_transform('loud', dataset, pipeline)

