# A tiny TransAVS for CPU runs on synthetic AVSBench-format data (tests and `make demo`):
# 1 process x 4 clips, 224x224, 1000 iterations. Make the data with
#   python tools/make_synthetic_avsbench.py --out data/synthetic/s4 --subset s4 --videos 64
_base_ = [
    './_base_/models/transavs_tiny.py', './_base_/datasets/avsbench_s4.py',
    './_base_/schedules/schedule_90k.py', './_base_/default_runtime.py'
]
data_root = 'data/synthetic/s4'  # the base pipelines (224x224) are kept
tiny_loader = dict(batch_size=4, num_workers=1, persistent_workers=False,
                   dataset=dict(data_root=data_root))
train_dataloader = tiny_loader
val_dataloader = tiny_loader
test_dataloader = tiny_loader
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
    # eq. 18 compressed to the short schedule: 18 steps over the run.
    dict(type='ConfidenceThresholdHook', a=0.55, b=0.65, n_iter=max_iters // 18, num_steps=18)
]
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
