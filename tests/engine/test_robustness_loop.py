"""RobustnessTestLoop's configuration: the negative loaders it builds and what it refuses
(its runs are tested end to end in tests/e2e/test_robustness.py)."""
import pytest
from mmengine.config import Config

from projects.transavs.demo import AVSS_CONFIG, CONFIG
from projects.transavs.engine import RobustnessTestLoop, negative_loader_cfg

TRANSFORMS = {'silence': 'SilenceAudio', 'noise': 'NoiseAudio', 'off-screen': 'OffScreenAudio'}


@pytest.mark.parametrize('condition', sorted(TRANSFORMS))
def test_negative_loader_cfg_per_dataset(condition):
    loader = Config.fromfile(CONFIG).test_dataloader  # S4 + MS3 (ConcatDataset)
    changed = negative_loader_cfg(loader, condition, seed=7, noise=dict(color='brown'))
    for original, ds in zip(loader.dataset.datasets, changed['dataset']['datasets']):
        types = [step['type'] for step in ds['pipeline']]
        position = types.index('LoadAudioLogMel') + 1
        step = ds['pipeline'][position]
        assert step['type'] == TRANSFORMS[condition]
        assert types[:position] + types[position + 1:] == [
            s['type'] for s in original.pipeline]
        if condition != 'silence':
            assert step['seed'] == 7
        if condition == 'noise':
            assert step['color'] == 'brown'
        if condition == 'off-screen':  # the donors: the same dataset, its audio steps
            assert step['dataset']['type'] == original.type
            assert step['dataset']['data_root'] == original.data_root
            assert step['dataset']['split'] == 'test'
            assert [s['type'] for s in step['audio_pipeline']] == ['LoadAudioLogMel']
    assert TRANSFORMS[condition] not in str(loader)  # a copy


def test_negative_loader_cfg_semantic_waveform_pipeline():
    loader = Config.fromfile(AVSS_CONFIG).test_dataloader
    changed = negative_loader_cfg(loader, 'off-screen')
    types = [step['type'] for step in changed['dataset']['pipeline']]
    assert types[types.index('WaveformToLogMel') + 1] == 'OffScreenAudio'
    step = changed['dataset']['pipeline'][types.index('OffScreenAudio')]
    assert [s['type'] for s in step['audio_pipeline']] == ['LoadAudioWaveform',
                                                            'WaveformToLogMel']


def test_loop_refuses_bad_settings():
    loader = dict(Config.fromfile(CONFIG).test_dataloader)
    with pytest.raises(ValueError, match='conditions must be distinct'):
        RobustnessTestLoop(None, loader, None, conditions=['thunder'])
    with pytest.raises(ValueError, match='conditions must be distinct'):
        RobustnessTestLoop(None, loader, None, conditions=['noise', 'noise'])
    with pytest.raises(ValueError, match='conditions must be distinct'):
        RobustnessTestLoop(None, loader, None, conditions=[])
    with pytest.raises(TypeError, match='config dict'):
        RobustnessTestLoop(None, object(), None)
