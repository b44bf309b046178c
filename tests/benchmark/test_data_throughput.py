"""Data pipeline throughput by audio source (``projects.transavs.benchmark``)."""
import os
import os.path as osp

from mmengine.config import Config

from projects.transavs.benchmark import SOURCES, data_pipeline_throughput, pipeline_for


def test_data_sources_on_synthetic_data(repo_root):
    cfg = Config.fromfile(osp.join(repo_root, 'configs/transavs_tiny_s4.py'))
    rows = data_pipeline_throughput(cfg.test_dataloader.dataset.pipeline, clips=3, size=64)
    assert [r[0] for r in rows] == list(SOURCES)
    assert all(r[1] == 3 and r[2] > 0 and r[3] > 0 for r in rows)


def test_data_sources_on_a_given_root(s4_root, videos_per_split, repo_root):
    cfg = Config.fromfile(osp.join(repo_root, 'configs/transavs_tiny_s4.py'))
    rows = data_pipeline_throughput(cfg.test_dataloader.dataset.pipeline, s4_root, clips=50)
    assert [r[1] for r in rows] == [videos_per_split] * 3  # at most the split's clips
    written = [f for _, _, files in os.walk(s4_root) for f in files if f.endswith('.npy')]
    assert not written  # the cache goes to a temporary folder, not into the data


def test_pipeline_for_replaces_the_audio_steps():
    test_pipeline = [dict(type='LoadClipFrames'), dict(type='LoadAudioLogMel', source='pkl'),
                     dict(type='PackAVSInputs')]
    steps = pipeline_for(test_pipeline, SOURCES['wav (frontend on the fly)'])
    assert [s['type'] for s in steps] == ['LoadClipFrames', 'LoadAudioWaveform',
                                          'WaveformToLogMel', 'PackAVSInputs']
    assert test_pipeline[1]['type'] == 'LoadAudioLogMel'  # not changed
