# A tiny TransAVS for CPU runs on synthetic AVSBench-semantic data (tests; `make demo` trains
# it as configs/transavs_tiny_avss_demo.py): 1 process x 2 clips of 10 frames, 96x96, 1000
# iterations. Make the data with
#   python tools/make_synthetic_avsbench.py --out data/synthetic/avss --subset avss --videos 16
_base_ = [
    './_base_/models/transavs_tiny.py', './_base_/datasets/avsbench_semantic.py',
    './_base_/schedules/schedule_avss_32k.py', './_base_/default_runtime.py'
]
data_root = 'data/synthetic/avss'
crop_size = (96, 96)  # (w, h)


def _at_crop_size(pipeline):
    """The base pipeline with every resizing step at ``crop_size``."""
    return [dict(step, scale=crop_size) if 'scale' in step else step for step in pipeline]


train_pipeline = _at_crop_size(_base_.train_pipeline)
test_pipeline = _at_crop_size(_base_.test_pipeline)
clip_seconds = 10  # T: 10 frames / seconds per clip (v1 clips padded)
model = dict(decode_head=dict(num_classes=_base_.num_classes, clip_seconds=clip_seconds))
tiny_loader = dict(batch_size=2, num_workers=1, persistent_workers=False)
train_dataloader = dict(
    tiny_loader, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    tiny_loader, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
# From scratch: a larger learning rate and no backbone multiplier.
optim_wrapper = dict(
    optimizer=dict(lr=0.0005),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1.0, decay_mult=1.0)}))
max_iters = 1000
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=500)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=500, max_keep_ckpts=2))
custom_hooks = [
    dict(type='ConfidenceThresholdHook', a=0.55, b=0.65, n_iter=max_iters // 18, num_steps=18)
]
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
