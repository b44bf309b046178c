"""Every type the plugin registers can be built by name through mmseg's registries."""
import os.path as osp

import mmengine.registry as mmengine_registry
import mmseg.registry as mmseg_registry
import pytest
import torch
from mmengine.config import Config

REGISTRIES = {
    'MODELS': mmseg_registry.MODELS,
    'DATASETS': mmseg_registry.DATASETS,
    'TRANSFORMS': mmseg_registry.TRANSFORMS,
    'METRICS': mmseg_registry.METRICS,
    'HOOKS': mmseg_registry.HOOKS,
    'TASK_UTILS': mmseg_registry.TASK_UTILS,
    'VISUALIZERS': mmseg_registry.VISUALIZERS,
    'MODEL_WRAPPERS': mmengine_registry.MODEL_WRAPPERS,
    'OPTIM_WRAPPERS': mmengine_registry.OPTIM_WRAPPERS,
    'RUNNERS': mmseg_registry.RUNNERS,
    'LOOPS': mmseg_registry.LOOPS,
}
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAPER_MODEL = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/transavs_r50.py')).model
CRITERION = dict(PAPER_MODEL.decode_head.criterion.to_dict(), train_cfg=dict(
    PAPER_MODEL.train_cfg.to_dict(), num_points=64))

TINY_BACKBONE = dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
                     out_indices=(0, 1, 2, 3))
TINY_HEAD = dict(type='AudioQueryHead', in_channels=16, embed_dims=16, num_queries=4,
                 num_encoder_layers=1, num_decoder_layers=3, num_heads=2,
                 feedforward_channels=16, criterion=CRITERION)

#: Minimal arguments of every registered type (roots are filled in by the test).
BUILD_ARGS = {
    'MODELS': {
        'AQDLoss': dict(d0=1.0),
        'AQMLoss': dict(),
        'AVSCriterion': {k: v for k, v in CRITERION.items() if k != 'type'},
        'SoftmaxFocalLoss': dict(),
        'VGGish': dict(arch='tiny'),
        'AVSDataPreprocessor': dict(),
        'AVSPixelDecoder': dict(in_channels=[8, 16, 32, 64], feat_channels=16,
                                norm_cfg=dict(type='GN', num_groups=4)),
        'AudioQueryHead': TINY_HEAD,
        'TransAVS': dict(
            backbone=TINY_BACKBONE,
            neck=dict(type='AVSPixelDecoder', in_channels=[8, 16, 32, 64], feat_channels=16,
                      norm_cfg=dict(type='GN', num_groups=4)),
            audio_backbone=dict(type='VGGish', arch='tiny'),
            decode_head=TINY_HEAD,
            data_preprocessor=dict(type='AVSDataPreprocessor')),
    },
    'DATASETS': {
        'AVSBenchS4Dataset': dict(split='test', pipeline=[]),
        'AVSBenchMS3Dataset': dict(split='val', pipeline=[]),
        'AVSBenchSemanticDataset': dict(split='val', pipeline=[]),
    },
    'TRANSFORMS': {
        'LoadClipFrames': dict(),
        'LoadClipFramesFromNDArray': dict(),
        'LoadAudioFromNDArray': dict(),
        'LoadClipMasks': dict(),
        'LoadClipSemanticLabels': dict(num_classes=71),
        'ClipRandomFlip': dict(prob=0.5),
        'ClipRandomResizedCrop': dict(),
        'ClipPhotoMetricDistortion': dict(),
        'ClipInstanceTargets': dict(max_instances=4),
        'PackAVSInputs': dict(),
        'LoadAudioWaveform': dict(),
        'WaveformToLogMel': dict(),
        'LoadAudioLogMel': dict(),
        'MuteAudio': dict(),
        'SilenceAudio': dict(),
        'NoiseAudio': dict(color='pink', level_db=-6.0),
        'OffScreenAudio': dict(audio_pipeline=[dict(type='LoadAudioLogMel')]),
        'RandomNegativeAudio': dict(prob=0.5),
    },
    'METRICS': {'AVSMetric': dict(), 'AVSSMetric': dict(num_classes=71)},
    'HOOKS': {
        'ConfidenceThresholdHook': dict(),
        'AVSVisualizationHook': dict(),
        'AVSCheckpointHook': dict(interval=1),
        'NonFiniteLossHook': dict(),
        'ClassCountCheckHook': dict(),
        'StopSignalHook': dict(),
    },
    'TASK_UTILS': {},
    'VISUALIZERS': {'AVSLocalVisualizer': dict(name='registry_test_visualizer')},
    'MODEL_WRAPPERS': {},
    'OPTIM_WRAPPERS': {},
    'RUNNERS': {},
    'LOOPS': {},
}
#: Types that need more than arguments (a process group, a model and an optimizer, a runner, a work
#: dir); tested on their own (tests/engine).
BUILT_ELSEWHERE = {'MODEL_WRAPPERS': ['CPUDistributedDataParallel'],
                   'OPTIM_WRAPPERS': ['CPUAmpOptimWrapper'], 'RUNNERS': ['AVSRunner'],
                   'LOOPS': ['RobustnessTestLoop']}


def _ours(registry):
    return sorted(name for name, cls in registry.module_dict.items()
                  if cls.__module__.startswith('projects.transavs'))


@pytest.mark.parametrize('reg_name', sorted(REGISTRIES))
def test_every_registered_type_has_build_args(reg_name):
    expected = sorted(list(BUILD_ARGS[reg_name]) + BUILT_ELSEWHERE.get(reg_name, []))
    assert _ours(REGISTRIES[reg_name]) == expected


CASES = [(reg, name) for reg in sorted(BUILD_ARGS) for name in sorted(BUILD_ARGS[reg])]


@pytest.mark.parametrize('reg_name,type_name', CASES, ids=[f'{r}.{n}' for r, n in CASES])
def test_build_by_name(reg_name, type_name, s4_root, ms3_root, avss_root):
    args = dict(BUILD_ARGS[reg_name][type_name], type=type_name)
    if type_name == 'AVSBenchS4Dataset':
        args['data_root'] = s4_root
    if type_name == 'AVSBenchMS3Dataset':
        args['data_root'] = ms3_root
    if type_name == 'AVSBenchSemanticDataset':
        args['data_root'] = avss_root
    if type_name == 'OffScreenAudio':  # the donor pool
        args['dataset'] = dict(type='AVSBenchS4Dataset', data_root=s4_root, split='test')
    obj = REGISTRIES[reg_name].build(args)
    assert type(obj).__name__ == type_name
    if reg_name == 'DATASETS':
        assert len(obj) == 3


def test_ddp_wrapper_builds_on_cpu(tmp_path):
    import torch.distributed as dist
    wrapper = mmengine_registry.MODEL_WRAPPERS.get('CPUDistributedDataParallel')
    assert wrapper is not None
    if not dist.is_initialized():
        dist.init_process_group('gloo', init_method=f'file://{tmp_path}/pg', rank=0,
                                world_size=1)
    try:
        model = wrapper(module=torch.nn.Linear(2, 2), device_ids=[0])
        assert model.device_ids is None
    finally:
        dist.destroy_process_group()
